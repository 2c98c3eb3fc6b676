"""Git facts for the context gatherer, through GitPython: where HEAD is, the files
and their history, the base to compare against, the changes since it and file
contents at a commit. Blocking: call off the event loop.

User-supplied refs are validated with `rev-parse --verify --end-of-options`
before use and passed as arguments, never through a shell. Diffs are read in
one fixed format whatever the user's git configuration says (no colour, no
external diff or textconv, fixed prefixes, NUL-separated names), so parsing
them does not depend on `~/.gitconfig`.

These functions work through this thread's long-lived repository handles
(`gitrepo`), parse diffs into the change model of `diff`, and reuse what commit
shas fix as `gitmemo` allows. Refs and HEAD move: they are read, and user refs
verified, on every call.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple, TypeVar

import git

from cowork.context import gitmemo, historydisk
from cowork.context.diff import FileChange, parse_diff
from cowork.context.gitrepo import SAFE_CONFIG, Handle, NoRepository, Refusal, using

T = TypeVar("T")


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # ISO 8601, UTC
    subject: str
    body: str = ""  # the message after its subject line
    merge: bool = False


@dataclass(frozen=True)
class GitInfo:
    is_repo: bool
    head: str | None = None  # commit sha; None without commits
    branch: str | None = None  # None when detached or not a repo
    detached: bool = False

    @property
    def has_commits(self) -> bool:
        return self.head is not None

    def describe(self) -> str:
        if not self.is_repo:
            return "not a git repository"
        if self.head is None:
            return "a git repository with no commits yet"
        if self.detached:
            return f"detached HEAD at {self.head[:12]}"
        return f"branch {self.branch} at {self.head[:12]}"


def toplevel(start: Path) -> Path | None:
    """The top folder of the work tree holding `start`; None outside one."""
    try:
        top = using(start, lambda h: h.repo.working_tree_dir)
    except NoRepository:
        return None
    return None if top is None else Path(top).resolve()


def info(root: Path) -> GitInfo:
    """Whether `root` is in a repository, and where its HEAD is."""

    def read(h: Handle) -> GitInfo:
        head = h.head()  # None without commits: HEAD names an unborn branch
        detached = head is not None and h.repo.head.is_detached
        return GitInfo(
            is_repo=True,
            head=head,
            branch=None if detached else _branch_name(h.repo),
            detached=detached,
        )

    try:
        return using(root, read)
    except NoRepository:
        return GitInfo(is_repo=False)


def _branch_name(repo: git.Repo) -> str | None:
    try:
        return str(repo.active_branch.name)
    except TypeError:
        return None


def list_files(root: Path) -> list[str] | None:
    """Tracked plus untracked-not-ignored files, relative to `root`; None if not a repo."""

    def read(h: Handle) -> tuple[str, Path]:
        out = h.repo.git(c=SAFE_CONFIG).ls_files(
            "-z", "--cached", "--others", "--exclude-standard", "--", "."
        )
        return str(out), Path(h.repo.working_tree_dir or root).resolve()

    try:
        out, top = using(root, read)
    except NoRepository:
        return None
    # ls-files is run from the work tree top; entries are relative to it.
    prefix = root.resolve().relative_to(top).as_posix() if root.resolve() != top else ""
    files = [p for p in out.split("\0") if p]
    if prefix:
        files = [p[len(prefix) + 1 :] for p in files if p.startswith(prefix + "/")]
    return sorted(set(files))


# (repository, HEAD, path, count) → the last commits that touched the path: what HEAD
# fixes, so a warm task asks git nothing (a long history makes the question costly).
_HISTORY: gitmemo.Memo[tuple[str, str, str, int], tuple[Commit, ...]] = gitmemo.Memo(4096, 16 << 20)
# One record per commit: sha, author, commit time, parents, raw message.
_LOG_FORMAT = "--format=%H%x1f%an%x1f%ct%x1f%P%x1f%B%x1e"


def _log(h: Handle, *args: str) -> list[Commit]:
    """`git rev-list` of `args` as commits, in one process (no object reads through
    GitPython, whose `cat-file` pair would double this worker's). rev-list, unlike
    log, reads no `log.*` configuration (such as `log.follow`)."""
    out = h.repo.git(c=SAFE_CONFIG).rev_list("--no-commit-header", _LOG_FORMAT, *args)
    commits = []
    for record in str(out).split("\x1e"):
        fields = record.lstrip("\n").split("\x1f")
        if len(fields) != 5:
            continue
        sha, author, when, parents, message = fields
        subject, _, body = message.partition("\n")
        commits.append(
            Commit(
                sha,
                author,
                datetime.fromtimestamp(int(when), UTC).strftime("%Y-%m-%d"),
                subject,
                body=body.strip(),
                merge=len(parents.split()) > 1,
            )
        )
    return commits


def file_history(root: Path, rel: str, max_count: int = 10) -> list[Commit]:
    """The last commits that touched `rel`, newest first (empty without commits).
    Remembered per (HEAD, path); fast over a long history when the repository has a
    commit-graph with changed-path filters (`cowork index --commit-graph`)."""

    def read(h: Handle) -> list[Commit]:
        head = h.head()
        if head is None:  # no commits yet
            return []
        top = Path(h.repo.working_tree_dir or root).resolve()
        here = root.resolve()
        path = rel if here == top else f"{here.relative_to(top).as_posix()}/{rel}"
        key = (gitmemo.repo_key(h.repo), head, path, max_count)
        fixed = gitmemo.history_fixed(h.repo)
        known = _HISTORY.get(key) if fixed else None
        if known is not None:
            return list(known[0])
        stored = historydisk.load(root, head, path, max_count) if fixed else None
        if stored is not None:  # another process walked the history: read those commits
            args = ["--no-walk=unsorted", *stored] if stored else None
        else:
            args = [f"--max-count={max_count}", head, "--", f":(literal){path}"]
        found = [replace(c, body="", merge=False) for c in _log(h, *args)] if args else []
        if stored is not None and [c.sha for c in found] != stored:
            found = [  # the recorded shas did not all read back: walk the history after all
                replace(c, body="", merge=False)
                for c in _log(h, f"--max-count={max_count}", head, "--", f":(literal){path}")
            ]
            stored = None
        if fixed:
            _HISTORY.put(key, tuple(found), sum(150 + len(c.subject) for c in found))
            if stored is None:
                historydisk.save(root, head, path, max_count, [c.sha for c in found])
        return found

    try:
        return using(root, read)
    except NoRepository:
        return []


def write_commit_graph(root: Path) -> str:
    """Write git's commit-graph for every reachable commit, with changed-path Bloom
    filters (which make `git log -- PATH` over a long history fast). Returns the
    repository's git folder; ValueError outside a repository."""

    def write(h: Handle) -> str:
        h.repo.git(c=SAFE_CONFIG).commit_graph("write", "--reachable", "--changed-paths")
        return os.path.abspath(h.repo.common_dir)

    try:
        return using(root, write)
    except NoRepository:
        raise ValueError(f"{root} is not a git repository: there is no history to index") from None


def _verify(repo: git.Repo, ref: str, where: Path | str) -> str:
    # `--end-of-options` makes a "ref" such as `--output=/tmp/x` a ref that names
    # nothing rather than an option; `^{commit}` refuses trees, blobs and ranges.
    try:
        return str(repo.git.rev_parse("--verify", "--quiet", "--end-of-options", ref + "^{commit}"))
    except git.GitCommandError:
        raise Refusal(f"{ref!r} does not name a commit in {where}") from None


# -- base resolution ------------------------------------------------------------------

BIG_FILE = "8m"  # see `_diff`
_DIFF_FORMAT = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--submodule=short",
    "-U3",
    "-M",
    "--raw",
    "--numstat",
    "-z",
    "-p",
)
MAX_COMMITS = 200


@dataclass(frozen=True)
class ChangeSet:
    base_ref: str  # what the base was called (as given, or how it was found)
    base: str  # the merge-base commit
    head: str
    commits: list[Commit]
    files: list[FileChange]
    uncommitted: bool = False  # the working tree, not HEAD, is the new side
    more_commits: int = 0  # commits beyond MAX_COMMITS, not listed
    shallow: bool = False

    @property
    def diff(self) -> str:
        return "".join(f.patch() for f in self.files)


def _in_repository(root: Path, work: Callable[[Handle, str], T]) -> T:
    """`work(handle, prefix)` on the repository holding `root`, where `prefix` is
    `root`'s folder inside it ("" at the top). ValueError outside a repository or
    without commits."""

    def run(h: Handle) -> T:
        if h.head() is None:
            raise ValueError("the repository has no commits yet: there is nothing to compare")
        top = Path(h.repo.working_tree_dir or root).resolve()
        here = root.resolve()
        return work(h, "" if here == top else here.relative_to(top).as_posix())

    try:
        return using(root, run)
    except NoRepository:
        raise ValueError(
            f"{root} is not a git repository: there are no changes to compare"
        ) from None


# -- facts that a commit sha fixes, kept per process ------------------------------------


class _Diff(NamedTuple):
    files: tuple[FileChange, ...]
    watched: tuple[str, ...]  # the `.gitattributes` of the changed paths' folders
    inputs: gitmemo.Inputs  # when the diff was made


_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# (repository, sha, head) → their merge-base, None without common history
_MERGE_BASES: gitmemo.Memo[tuple[str, str, str], str | None] = gitmemo.Memo(256, 256)
# (repository, base, head, prefix) → (the first commits listed, how many in all)
_COMMITS: gitmemo.Memo[tuple[str, str, str, str], tuple[tuple[Commit, ...], int]] = gitmemo.Memo(
    32, 16 << 20
)
# (repository, base, head, prefix) → the files changed, and what git read besides the
# objects to render them
_DIFFS: gitmemo.Memo[tuple[str, str, str, str], _Diff] = gitmemo.Memo(16, 32 << 20)
# (repository, commit, path) → the blob's content; its size when it was too big to
# read; None when the path is not a blob there
_BLOBS: gitmemo.Memo[tuple[str, str, str], bytes | int | None] = gitmemo.Memo(1 << 16, 32 << 20)


def _merge_base(repo: git.Repo, sha: str, head: str) -> str | None:
    key = (gitmemo.repo_key(repo), sha, head)
    fixed = gitmemo.history_fixed(repo)
    if fixed:
        known = _MERGE_BASES.get(key)
        if known is not None:
            return known[0]
    try:
        found: str | None = str(repo.git.merge_base(sha, head))
    except git.GitCommandError:
        found = None  # no common history
    if fixed:
        _MERGE_BASES.put(key, found)
    return found


def _upstream(repo: git.Repo) -> tuple[str | None, str]:
    """(the upstream branch's name, or None and why there is none)."""
    if repo.head.is_detached:
        return None, "the upstream branch (none: HEAD is detached)"
    try:
        return str(repo.git.rev_parse("--abbrev-ref", "--symbolic-full-name", "@{upstream}")), ""
    except git.GitCommandError:
        return None, "the upstream branch (none set)"


def _no_history(name: str, shallow: bool) -> str:
    hint = (
        " — this is a shallow clone, so the common history may not have been fetched "
        "(`git fetch --unshallow`)"
        if shallow
        else ""
    )
    return f"{name} (no common history with HEAD{hint})"


def _find_base(repo: git.Repo, ref: str | None, root: Path, head: str) -> tuple[str, str]:
    if ref is not None:
        sha = _verify(repo, ref, root)
        found = _merge_base(repo, sha, head)
        if found is None:
            raise Refusal(
                f"{_no_history(repr(ref), gitmemo.is_shallow(repo))}: "
                "there is no merge-base to compare against"
            )
        return ref, found
    upstream, why_not = _upstream(repo)
    tried = [why_not] if upstream is None else []
    candidates = [upstream] if upstream else []
    candidates += ["origin/HEAD", "main", "master", "origin/main", "origin/master"]
    first: tuple[str, str] | None = None
    for name in dict.fromkeys(candidates):
        try:
            sha = _verify(repo, name, root)
        except ValueError:
            tried.append(f"{name} (not found)")
            continue
        found = _merge_base(repo, sha, head)
        if found is None:
            tried.append(_no_history(name, gitmemo.is_shallow(repo)))
        elif found != head:
            return name, found
        else:
            # HEAD is at this base (e.g. the upstream is the branch's own pushed copy):
            # a later candidate may still show the branch's work.
            first = first or (name, found)
            tried.append(f"{name} (HEAD is already there)")
    if first is not None:
        return first
    raise Refusal(
        "could not find a base to compare against; tried "
        + ", ".join(tried)
        + ". Pass a base explicitly (e.g. --base origin/main)."
    )


def resolve_base(root: Path, ref: str | None) -> tuple[str, str]:
    """(name, merge-base sha) of the base to compare HEAD against.

    An explicit ref wins; else the first of the upstream branch, `origin/HEAD`,
    `main`, `master` (then `origin/main`, `origin/master`) that shares history
    with HEAD and is not HEAD itself, else the first that shares history at all.
    ValueError naming every ref tried when none works.
    """
    return _in_repository(root, lambda h, _: _find_base(h.repo, ref, root, h.head() or "HEAD"))


# -- changes --------------------------------------------------------------------------


def changes(root: Path, ref: str | None, *, uncommitted: bool = False) -> ChangeSet:
    """HEAD's changes since its merge-base with the base: the commits, and per file
    what changed. With `uncommitted`, the new side is the working tree (tracked
    files; see `untracked` for the others). Paths are relative to `root`, and only
    files under it are listed."""

    def gather(h: Handle, prefix: str) -> ChangeSet:
        # The refs and HEAD move: they are read every time; what they point at is not.
        head = h.head() or "HEAD"  # `_in_repository` made sure there are commits
        name, base = _find_base(h.repo, ref, root, head)
        commits, count = _commits(h, base, head, prefix)
        return ChangeSet(
            base_ref=name,
            base=base,
            head=head,
            commits=list(commits),
            files=list(_diff(h.repo, base, None if uncommitted else head, prefix)),
            uncommitted=uncommitted,
            more_commits=max(0, count - MAX_COMMITS),
            shallow=gitmemo.is_shallow(h.repo),
        )

    return _in_repository(root, gather)


def _commits(h: Handle, base: str, head: str, prefix: str) -> tuple[tuple[Commit, ...], int]:
    """The first MAX_COMMITS commits from `base` (excluded) to `head` touching
    `prefix`, newest first, and how many there are in all."""
    repo = h.repo
    key = (gitmemo.repo_key(repo), base, head, prefix)
    fixed = gitmemo.history_fixed(repo)
    if fixed:
        known = _COMMITS.get(key)
        if known is not None:
            return known[0]
    listed = _log(h, f"--max-count={MAX_COMMITS + 1}", f"{base}..{head}", "--", prefix or ".")
    count = len(listed)
    if count > MAX_COMMITS:
        count = int(repo.git.rev_list("--count", f"{base}..{head}", "--", prefix or "."))
    found = tuple(listed[:MAX_COMMITS]), count
    if fixed:
        _COMMITS.put(key, found, sum(200 + len(c.subject) + len(c.body) for c in found[0]))
    return found


def _diff(repo: git.Repo, base: str, head: str | None, prefix: str) -> tuple[FileChange, ...]:
    """The files changed from commit `base` to commit `head` (None: the work tree)."""
    relative = f"--relative={prefix}" if prefix else "--no-relative"
    sides = [base] if head is None else [base, head]

    def run() -> bytes:
        # A file over 8 MB is diffed as binary: git never reads a 50 MB generated file
        # to write a patch nobody will be sent.
        out: bytes = repo.git(c=[*SAFE_CONFIG, f"core.bigFileThreshold={BIG_FILE}"]).diff(
            *_DIFF_FORMAT,
            relative,
            *sides,
            "--",
            stdout_as_string=False,
            strip_newline_in_stdout=False,
        )
        return out

    if head is None or gitmemo.replaced(repo):  # the work tree is not fixed by a sha
        return tuple(parse_diff(run()))
    key = (gitmemo.repo_key(repo), base, head, prefix)
    known = _DIFFS.get(key)
    if known is not None and gitmemo.diff_inputs(repo, known[0].watched) == known[0].inputs:
        return known[0].files
    before = gitmemo.diff_inputs(repo)
    started = time.time_ns()
    out = run()
    files = tuple(parse_diff(out))
    watched = gitmemo.attribute_files(repo, prefix, files)
    inputs = gitmemo.diff_inputs(repo, watched)
    # What git may have read while it ran is remembered only if it did not change
    # meanwhile: the files known beforehand were looked at before and after; the
    # `.gitattributes`, known only now, must be older than the diff (file times may
    # be a couple of seconds coarse).
    recent = started - 2_000_000_000
    if inputs._replace(watched=()) == before and all(
        s is None or len(s) < 5 or max(s[3], s[4]) < recent for s in inputs.watched
    ):
        # parsed, a diff takes about five times the bytes git printed
        _DIFFS.put(key, _Diff(files, watched, inputs), 5 * len(out) + 1)
    return files


def untracked(root: Path) -> list[str]:
    """Files under `root` git does not track nor ignore, relative to `root`."""

    def read(h: Handle, prefix: str) -> tuple[str, str]:
        out = h.repo.git(c=SAFE_CONFIG).ls_files(
            "-z", "--others", "--exclude-standard", "--", prefix or "."
        )
        return str(out), prefix

    out, prefix = _in_repository(root, read)
    names = [p for p in out.split("\0") if p]
    if prefix:
        names = [p[len(prefix) + 1 :] for p in names if p.startswith(prefix + "/")]
    return sorted(names)


def files_at(
    root: Path, rev: str, rels: list[str], max_bytes: int = 1_000_000
) -> dict[str, bytes | None]:
    """The content at commit `rev` (a sha) of each workspace-relative path: None for a
    path that is absent there, not a file, or over `max_bytes`. Read from the object
    database by long-lived processes, and remembered."""

    def read(h: Handle, prefix: str) -> dict[str, bytes | None]:
        if all(_plain(rel) for rel in rels):
            return _blobs_at(h, rev, prefix, rels, max_bytes)
        out: dict[str, bytes | None] = {}
        tree = h.repo.commit(rev).tree
        for rel in rels:
            try:
                item = tree.join(f"{prefix}/{rel}" if prefix else rel)
            except KeyError:
                out[rel] = None
                continue
            if item.type != "blob" or item.size > max_bytes:
                out[rel] = None
            else:
                out[rel] = item.data_stream.read()
        return out

    return _in_repository(root, read)


def _plain(rel: str) -> bool:
    """Whether `rev:rel` names what tree.join(rel) does (no `.`, `..` or empty parts,
    no newline)."""
    return bool(rel) and "\n" not in rel and all(p not in ("", ".", "..") for p in rel.split("/"))


def _blobs_at(
    h: Handle, rev: str, prefix: str, rels: list[str], max_bytes: int
) -> dict[str, bytes | None]:
    """`files_at` in two round trips in all (`cat-file --batch-check`, then `--batch`
    for the blobs small enough) of long-lived processes, for what is not remembered."""
    out: dict[str, bytes | None] = dict.fromkeys(rels)
    memo = _SHA.fullmatch(rev) is not None and not gitmemo.replaced(h.repo)
    if memo:
        # a commit this repository lacks has no files, whatever was remembered
        memo = h.has(rev)
    repo_key = gitmemo.repo_key(h.repo)
    todo: dict[str, list[str]] = {}  # path in the repository → the rels naming it
    for rel in out:
        path = f"{prefix}/{rel}" if prefix else rel
        known = _BLOBS.get((repo_key, rev, path)) if memo else None
        if known is None or (isinstance(known[0], int) and known[0] <= max_bytes):
            todo.setdefault(path, []).append(rel)
        elif isinstance(known[0], bytes) and len(known[0]) <= max_bytes:
            out[rel] = known[0]
    if not todo:
        return out
    paths = list(todo)
    headers = h.objects(
        [f"{rev}:{path}".encode("utf-8", "surrogateescape") for path in paths], data=False
    )
    wanted: dict[bytes, list[str]] = {}  # blob sha → the paths holding it
    for path, header in zip(paths, headers, strict=True):
        # a gitlink's commit is missing from this repository: not a file either
        if header is None or header.type != b"blob":
            if memo:
                _BLOBS.put((repo_key, rev, path), None, 100 + len(path))
        elif header.size > max_bytes:
            if memo:
                _BLOBS.put((repo_key, rev, path), header.size, 100 + len(path))
        else:
            wanted.setdefault(header.sha, []).append(path)
    blobs = h.objects(list(wanted), data=True)
    for (sha, holders), blob in zip(wanted.items(), blobs, strict=True):
        if blob is None or blob.sha != sha or blob.data is None:
            raise ValueError(f"unexpected git cat-file output for {sha.decode()}")
        for path in holders:
            for rel in todo[path]:
                out[rel] = blob.data
            if memo:
                _BLOBS.put((repo_key, rev, path), blob.data, 100 + len(path) + len(blob.data))
    return out
