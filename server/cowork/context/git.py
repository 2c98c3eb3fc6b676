"""Git facts for the context gatherer, through GitPython. Blocking: call off the event loop.

User-supplied refs are validated with `rev-parse --verify --end-of-options`
before use and passed as arguments, never through a shell. Diffs are read in
one fixed format whatever the user's git configuration says (no colour, no
external diff or textconv, fixed prefixes, NUL-separated names), so parsing
them does not depend on `~/.gitconfig`.
"""

from __future__ import annotations

import difflib
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import git

# The repository's configuration must neither change what git prints nor run programs
# (an fsmonitor hook runs on every command that looks at the work tree).
_SAFE_CONFIG = ["core.quotePath=true", "core.fsmonitor=false", "diff.noprefix=false"]


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


def open_repo(root: Path) -> git.Repo | None:
    """The repository whose work tree is exactly `root`'s top level, else None."""
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def toplevel(start: Path) -> Path | None:
    repo = open_repo(start)
    if repo is None or repo.working_tree_dir is None:
        return None
    return Path(repo.working_tree_dir).resolve()


def info(root: Path) -> GitInfo:
    repo = open_repo(root)
    if repo is None:
        return GitInfo(is_repo=False)
    with repo:
        try:
            head = repo.head.commit.hexsha
        except ValueError:  # no commits yet: HEAD names an unborn branch
            return GitInfo(is_repo=True, branch=_branch_name(repo))
        detached = repo.head.is_detached
        return GitInfo(
            is_repo=True,
            head=head,
            branch=None if detached else _branch_name(repo),
            detached=detached,
        )


def _branch_name(repo: git.Repo) -> str | None:
    try:
        return str(repo.active_branch.name)
    except TypeError:
        return None


def list_files(root: Path) -> list[str] | None:
    """Tracked plus untracked-not-ignored files, relative to `root`; None if not a repo."""
    repo = open_repo(root)
    if repo is None:
        return None
    with repo:
        out = repo.git(c=_SAFE_CONFIG).ls_files(
            "-z", "--cached", "--others", "--exclude-standard", "--", "."
        )
    # ls-files is run from the work tree top; entries are relative to it.
    top = Path(repo.working_tree_dir or root).resolve()
    prefix = root.resolve().relative_to(top).as_posix() if root.resolve() != top else ""
    files = [p for p in out.split("\0") if p]
    if prefix:
        files = [p[len(prefix) + 1 :] for p in files if p.startswith(prefix + "/")]
    return sorted(set(files))


def file_history(root: Path, rel: str, max_count: int = 10) -> list[Commit]:
    """The last commits that touched `rel`, newest first (empty without commits)."""
    repo = open_repo(root)
    if repo is None:
        return []
    with repo:
        if not repo.head.is_valid():  # no commits yet
            return []
        commits = repo.iter_commits(paths=[rel], max_count=max_count)
        return [
            Commit(
                sha=c.hexsha,
                author=str(c.author.name),
                date=datetime.fromtimestamp(c.committed_date, UTC).strftime("%Y-%m-%d"),
                subject=str(c.summary),
            )
            for c in commits
        ]


def _verify(repo: git.Repo, ref: str, where: Path | str) -> str:
    # `--end-of-options` makes a "ref" such as `--output=/tmp/x` a ref that names
    # nothing rather than an option; `^{commit}` refuses trees, blobs and ranges.
    try:
        return str(repo.git.rev_parse("--verify", "--quiet", "--end-of-options", ref + "^{commit}"))
    except git.GitCommandError:
        raise ValueError(f"{ref!r} does not name a commit in {where}") from None


# -- the change model ------------------------------------------------------------------

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
_SUBMODULE_MODE = "160000"


@dataclass(frozen=True)
class Hunk:
    """One hunk of a unified diff; `lines` keep their ' ', '+', '-' or '\\' prefix."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str  # git's hint of the enclosing code after the second @@
    lines: tuple[str, ...]

    @property
    def header(self) -> str:
        tail = f" {self.section}" if self.section else ""
        return f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@{tail}"

    def text(self) -> str:
        return "\n".join((self.header, *self.lines)) + "\n"

    def added(self) -> list[tuple[int, str]]:
        """(line in the new file, text) of each added line."""
        out: list[tuple[int, str]] = []
        line = self.new_start
        for raw in self.lines:
            if raw.startswith("+"):
                out.append((line, raw[1:]))
                line += 1
            elif raw.startswith(" "):
                line += 1
        return out

    def touched(self) -> list[int]:
        """Lines of the new file this hunk changes: added lines, and for each run of
        removed lines the new line where they were (so a pure deletion has a place)."""
        out: list[int] = []
        line = self.new_start
        after_removal = False
        for raw in self.lines:
            if raw.startswith("+"):
                out.append(line)
                line += 1
                after_removal = False
            elif raw.startswith("-"):
                if not after_removal:
                    out.append(max(1, line))
                after_removal = True
            elif raw.startswith(" "):
                line += 1
                after_removal = False
        return out


@dataclass(frozen=True)
class FileChange:
    """What happened to one file between the base and the new version."""

    path: str  # the new path (the old one for a deletion), relative to the workspace
    status: str  # A added, M modified, D deleted, R renamed, C copied, T type changed, U unmerged
    old_path: str | None = None  # where a renamed or copied file came from
    similarity: int | None = None  # percent, for renames and copies
    old_mode: str = ""
    new_mode: str = ""
    binary: bool = False
    added: int | None = None  # lines; None for binary files
    deleted: int | None = None
    hunks: tuple[Hunk, ...] = ()
    header: str = ""  # the patch's header lines (diff --git, modes, index, ---/+++)
    unreadable: str | None = None  # why the patch text cannot be used

    @property
    def submodule(self) -> bool:
        return _SUBMODULE_MODE in (self.old_mode, self.new_mode)

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path whose content shows in this change."""
        return (self.path,) if self.old_path is None else (self.old_path, self.path)

    def describe(self) -> str:
        """A few words on what happened, e.g. "renamed from a.py (92% similar)"."""
        words = {
            "A": "added",
            "M": "modified",
            "D": "deleted",
            "T": "type changed",
            "U": "unmerged (a conflict)",
        }.get(self.status[:1], self.status)
        if self.status.startswith(("R", "C")):
            verb = "renamed" if self.status.startswith("R") else "copied"
            words = f"{verb} from {self.old_path}"
            if self.similarity is not None and self.similarity < 100:
                words += f" ({self.similarity}% similar)"
        if self.submodule:
            words = f"submodule {words}"
        elif self.old_mode != self.new_mode and "000000" not in (self.old_mode, self.new_mode):
            words += f" (mode {self.old_mode} → {self.new_mode})"
        return words

    def patch(self) -> str:
        return self.header + "".join(h.text() for h in self.hunks)


def _c_quote(name: str) -> str:
    """`name` as git quotes a path in patch headers (core.quotePath=true)."""
    data = name.encode("utf-8", "surrogateescape")
    if not any(b < 0x20 or b in (0x22, 0x5C) or b >= 0x7F for b in data):
        return name
    escapes = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
    out = []
    for b in data:
        if b in escapes:
            out.append(escapes[b])
        elif b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif b < 0x20 or b >= 0x7F:
            out.append(f"\\{b:03o}")
        else:
            out.append(chr(b))
    return '"' + "".join(out) + '"'


def _split_lines(text: str) -> list[str]:
    # Not str.splitlines: that also splits at \f, \x1c, \u2028 … inside source lines.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_hunks(lines: list[str]) -> tuple[list[str], list[Hunk]]:
    """(header lines, hunks) of one file's part of a unified diff."""
    header: list[str] = []
    hunks: list[Hunk] = []
    current: tuple[re.Match[str], list[str]] | None = None

    def close() -> None:
        if current is not None:
            m, body = current
            hunks.append(
                Hunk(
                    int(m.group(1)),
                    int(m.group(2) or "1"),
                    int(m.group(3)),
                    int(m.group(4) or "1"),
                    m.group(5),
                    tuple(body),
                )
            )

    for line in lines:
        m = _HUNK_HEADER.match(line)
        if m is not None:
            close()
            current = (m, [])
        elif current is None:
            header.append(line)
        else:
            current[1].append(line)
    close()
    return header, hunks


@dataclass
class _Raw:
    status: str
    old_mode: str
    new_mode: str
    paths: list[str]
    stat: tuple[int | None, int | None] = (None, None)
    chunks: list[str] = field(default_factory=list)
    unreadable: str | None = None


def _name(data: bytes) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), "its name is not UTF-8"


def parse_diff(out: bytes) -> list[FileChange]:
    """Files of `git diff --raw --numstat -z -p` output (one invocation, so the three
    parts describe the same comparison)."""
    pos, entries = 0, []
    while out.startswith(b":", pos):  # ":<old mode> <new mode> <old> <new> <status>\0<path>\0…"
        end = out.index(b"\0", pos)
        old_mode, new_mode, _, _, status = out[pos + 1 : end].decode("ascii").split(" ")
        pos = end + 1
        entry = _Raw(status, old_mode, new_mode, [])
        for _ in range(2 if status[:1] in "RC" else 1):
            end = out.index(b"\0", pos)
            path, problem = _name(out[pos:end])
            entry.paths.append(path)
            entry.unreadable = entry.unreadable or problem
            pos = end + 1
        entries.append(entry)
    stats: dict[str, tuple[int | None, int | None]] = {}
    while pos < len(out) and out[pos] != 0 and not out.startswith(b"diff --git ", pos):
        end = out.index(b"\0", pos)  # "<added>\t<deleted>\t<path>\0" or "…\t\0<old>\0<new>\0"
        added, deleted, name = out[pos:end].split(b"\t", 2)
        pos = end + 1
        if not name:
            pos = out.index(b"\0", pos) + 1
            end = out.index(b"\0", pos)
            name = out[pos:end]
            pos = end + 1
        stats[_name(name)[0]] = (
            None if added == b"-" else int(added),
            None if deleted == b"-" else int(deleted),
        )
    if out.startswith(b"\0", pos):
        pos += 1
    for entry in entries:
        entry.stat = stats.get(entry.paths[-1], (None, None))
    _attach_patches(entries, out[pos:])
    return [_file_change(e) for e in entries]


def _attach_patches(entries: list[_Raw], patch: bytes) -> None:
    """Give each entry its `diff --git` chunk(s), matched by their exact header line
    (a type change has two: the old file deleted, the new one added)."""
    by_header: dict[str, list[str]] = {}
    order: list[str] = []
    for chunk in re.split(rb"(?m)^(?=diff --git )", patch):
        if not chunk.startswith(b"diff --git "):
            continue
        first = chunk.split(b"\n", 1)[0].decode("utf-8", "replace")
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:
            text = first + "\n\0not UTF-8"  # marked; its content is never used
        by_header.setdefault(first, []).append(text)
        order.append(first)
    for entry in entries:
        src, dst = entry.paths[0], entry.paths[-1]
        expected = f"diff --git {_c_quote('a/' + src)} {_c_quote('b/' + dst)}"
        entry.chunks = by_header.pop(expected, [])
    # Headers we did not predict (a quoting rule we do not know): by order.
    leftovers = [c for h in order if h in by_header for c in by_header.pop(h)]
    for entry in entries:
        if not entry.chunks and not entry.status.startswith("U") and leftovers:
            entry.chunks = [leftovers.pop(0)]


def _file_change(entry: _Raw) -> FileChange:
    header: list[str] = []
    hunks: list[Hunk] = []
    unreadable = entry.unreadable
    binary = entry.stat[0] is None and not entry.status.startswith("U")
    for chunk in entry.chunks:
        if chunk.endswith("\0not UTF-8"):
            unreadable = unreadable or "not UTF-8 text"
            continue
        head, body = parse_hunks(_split_lines(chunk))
        header += head
        hunks += body
        binary = binary or any(h.startswith(("Binary files ", "GIT binary patch")) for h in head)
    if binary or unreadable:
        hunks = []  # nothing of the content is kept
        header = header[:1]
    score = re.match(r"[RC](\d+)", entry.status)
    added, deleted = entry.stat
    if _SUBMODULE_MODE in (entry.old_mode, entry.new_mode):
        added = deleted = None  # "lines" of a submodule are its commit ids
    return FileChange(
        path=entry.paths[-1],
        status=entry.status[:1],
        old_path=entry.paths[0] if len(entry.paths) == 2 else None,
        similarity=int(score.group(1)) if score else None,
        old_mode=entry.old_mode,
        new_mode=entry.new_mode,
        binary=binary,
        added=None if binary else added,
        deleted=None if binary else deleted,
        hunks=tuple(hunks),
        header="".join(h + "\n" for h in header),
        unreadable=unreadable,
    )


def text_change(path: str, old: str | None, new: str | None) -> FileChange:
    """The change from `old` to `new` text (None: the file is absent), computed here
    rather than by git: for an editor's unsaved text and for untracked files."""
    a, b = _split_lines(old or ""), _split_lines(new or "")
    diff = list(
        difflib.unified_diff(
            a,
            b,
            "/dev/null" if old is None else f"a/{path}",
            "/dev/null" if new is None else f"b/{path}",
            n=3,
            lineterm="",
        )
    )
    head, hunks = parse_hunks(diff)
    status = "A" if old is None else "D" if new is None else "M"
    added = sum(len(h.added()) for h in hunks)
    deleted = sum(sum(1 for line in h.lines if line.startswith("-")) for h in hunks)
    return FileChange(
        path=path,
        status=status,
        added=added,
        deleted=deleted,
        hunks=tuple(hunks),
        header=f"diff --git a/{path} b/{path}\n" + "".join(h + "\n" for h in head),
    )


# -- base resolution ------------------------------------------------------------------

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


@contextmanager
def _repository(root: Path) -> Iterator[tuple[git.Repo, str]]:
    """The repository holding `root` and `root`'s folder inside it ("" at the top)."""
    repo = open_repo(root)
    if repo is None:
        raise ValueError(f"{root} is not a git repository: there are no changes to compare")
    with repo:
        if not repo.head.is_valid():
            raise ValueError("the repository has no commits yet: there is nothing to compare")
        top = Path(repo.working_tree_dir or root).resolve()
        here = root.resolve()
        yield repo, ("" if here == top else here.relative_to(top).as_posix())


def _is_shallow(repo: git.Repo) -> bool:
    try:
        return str(repo.git.rev_parse("--is-shallow-repository")) == "true"
    except git.GitCommandError:
        return False


def _merge_base(repo: git.Repo, sha: str, head: str) -> str | None:
    try:
        return str(repo.git.merge_base(sha, head))
    except git.GitCommandError:
        return None  # no common history


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


def _find_base(repo: git.Repo, ref: str | None, root: Path) -> tuple[str, str]:
    head = repo.head.commit.hexsha
    if ref is not None:
        sha = _verify(repo, ref, root)
        found = _merge_base(repo, sha, head)
        if found is None:
            raise ValueError(
                f"{_no_history(repr(ref), _is_shallow(repo))}: "
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
            tried.append(_no_history(name, _is_shallow(repo)))
        elif found != head:
            return name, found
        else:
            # HEAD is at this base (e.g. the upstream is the branch's own pushed copy):
            # a later candidate may still show the branch's work.
            first = first or (name, found)
            tried.append(f"{name} (HEAD is already there)")
    if first is not None:
        return first
    raise ValueError(
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
    with _repository(root) as (repo, _):
        return _find_base(repo, ref, root)


# -- changes --------------------------------------------------------------------------


def _commit(c: git.Commit) -> Commit:
    message = str(c.message)
    body = message.split("\n", 1)[1].strip() if "\n" in message else ""
    return Commit(
        c.hexsha,
        str(c.author.name),
        datetime.fromtimestamp(c.committed_date, UTC).strftime("%Y-%m-%d"),
        str(c.summary),
        body=body,
        merge=len(c.parents) > 1,
    )


def changes(root: Path, ref: str | None, *, uncommitted: bool = False) -> ChangeSet:
    """HEAD's changes since its merge-base with the base: the commits, and per file
    what changed. With `uncommitted`, the new side is the working tree (tracked
    files; see `untracked` for the others). Paths are relative to `root`, and only
    files under it are listed."""
    with _repository(root) as (repo, prefix):
        name, base = _find_base(repo, ref, root)
        head = repo.head.commit.hexsha
        listed = list(repo.iter_commits(f"{base}..{head}", paths=prefix, max_count=MAX_COMMITS + 1))
        count = len(listed)
        if count > MAX_COMMITS:
            count = int(repo.git.rev_list("--count", f"{base}..{head}", "--", prefix or "."))
        relative = f"--relative={prefix}" if prefix else "--no-relative"
        sides = [base] if uncommitted else [base, head]
        out = repo.git(c=_SAFE_CONFIG).diff(
            *_DIFF_FORMAT,
            relative,
            *sides,
            "--",
            stdout_as_string=False,
            strip_newline_in_stdout=False,
        )
        return ChangeSet(
            base_ref=name,
            base=base,
            head=head,
            commits=[_commit(c) for c in listed[:MAX_COMMITS]],
            files=parse_diff(out),
            uncommitted=uncommitted,
            more_commits=max(0, count - MAX_COMMITS),
            shallow=_is_shallow(repo),
        )


def untracked(root: Path) -> list[str]:
    """Files under `root` git does not track nor ignore, relative to `root`."""
    with _repository(root) as (repo, prefix):
        out = repo.git(c=_SAFE_CONFIG).ls_files(
            "-z", "--others", "--exclude-standard", "--", prefix or "."
        )
    names = [p for p in out.split("\0") if p]
    if prefix:
        names = [p[len(prefix) + 1 :] for p in names if p.startswith(prefix + "/")]
    return sorted(names)


def files_at(
    root: Path, rev: str, rels: list[str], max_bytes: int = 1_000_000
) -> dict[str, bytes | None]:
    """The content at commit `rev` (a sha) of each workspace-relative path: None for a
    path that is absent there, not a file, or over `max_bytes`. Read from the object
    database; no process is started."""
    out: dict[str, bytes | None] = {}
    with _repository(root) as (repo, prefix):
        if all(_plain(rel) for rel in rels):
            return _blobs_at(repo, rev, prefix, rels, max_bytes)
        tree = repo.commit(rev).tree
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


def _plain(rel: str) -> bool:
    """Whether `rev:rel` names what tree.join(rel) does (no `.`, `..` or empty parts,
    no newline)."""
    return bool(rel) and "\n" not in rel and all(p not in ("", ".", "..") for p in rel.split("/"))


def _blobs_at(
    repo: git.Repo, rev: str, prefix: str, rels: list[str], max_bytes: int
) -> dict[str, bytes | None]:
    """`files_at` with two git processes in all (`cat-file --batch-check`, then
    `--batch` for the blobs small enough), instead of two round trips per file."""
    out: dict[str, bytes | None] = dict.fromkeys(rels)
    if not rels:
        return out
    git_cmd = [repo.git.GIT_PYTHON_GIT_EXECUTABLE or "git", f"--git-dir={repo.git_dir}"]
    for option in _SAFE_CONFIG:
        git_cmd += ["-c", option]
    names = [f"{rev}:{prefix}/{rel}" if prefix else f"{rev}:{rel}" for rel in rels]
    checked = subprocess.run(
        [*git_cmd, "cat-file", "--batch-check"],
        input="".join(n + "\n" for n in names).encode("utf-8", "surrogateescape"),
        capture_output=True,
        check=True,
    ).stdout.split(b"\n")
    wanted: dict[bytes, list[str]] = {}
    for rel, line in zip(rels, checked, strict=False):
        parts = line.split(b" ")
        # "<sha> <type> <size>", or "<name> missing" (an absent path, a gitlink's commit)
        if (
            len(parts) == 3
            and parts[1] == b"blob"
            and parts[2].isdigit()
            and int(parts[2]) <= max_bytes
        ):
            wanted.setdefault(parts[0], []).append(rel)
    if not wanted:
        return out
    data = subprocess.run(
        [*git_cmd, "cat-file", "--batch"],
        input=b"".join(sha + b"\n" for sha in wanted),
        capture_output=True,
        check=True,
    ).stdout
    pos = 0
    for sha, owners in wanted.items():
        end = data.index(b"\n", pos)
        header = data[pos:end].split(b" ")
        if len(header) != 3 or header[0] != sha:
            raise ValueError(f"unexpected git cat-file output for {sha.decode()}")
        size = int(header[2])
        blob = data[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1  # the content is followed by a newline
        for rel in owners:
            out[rel] = blob
    return out
