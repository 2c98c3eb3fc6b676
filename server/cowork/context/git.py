"""Git facts for the context gatherer, through GitPython. Blocking: call off the event loop.

User-supplied refs are validated with `rev-parse --verify --end-of-options`
before use and passed as arguments, never through a shell. Diffs are read in
one fixed format whatever the user's git configuration says (no colour, no
external diff or textconv, fixed prefixes, NUL-separated names), so parsing
them does not depend on `~/.gitconfig`.

Starting git costs more than most questions asked of it, so each thread keeps
its repositories open, with their `git cat-file` processes, across calls, and
each process remembers what commit shas fix (merge-bases, the commits between
two shas, the diff between two commits, blobs). Refs and HEAD move: they are
read, and user refs verified, on every call.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

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
    """The repository whose work tree is exactly `root`'s top level, else None.

    A new `git.Repo` the caller closes (`with repo:`); the functions of this module
    use this thread's long-lived handle instead (`_using`)."""
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


# -- long-lived repository handles ------------------------------------------------------

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# What `git.Repo(...)` reads from the environment to find the repository.
_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY")
_MAX_HANDLES = 8  # repositories kept open per thread
# At most this many bytes of questions are written to a cat-file before reading its
# answers: they fit in any pipe's buffer, so the write never waits for git, which
# may itself be waiting for us to read.
_PIPE_SAFE = 4096


class _NoRepository(Exception):
    """`root` is in no git repository."""


class _Refusal(ValueError):
    """An answer about the repository from a process started for the question (a ref
    that names nothing, no common history): a fresh handle would give the same."""


class _Object(NamedTuple):
    sha: bytes
    type: bytes
    size: int
    data: bytes | None  # with `--batch`; None with `--batch-check`


def _ident(path: str | os.PathLike[str] | None) -> tuple[int, int] | None:
    """Which file or folder is at `path` (None: nothing)."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _sig(path: str | os.PathLike[str]) -> tuple[int, ...] | None:
    """Which file is at `path` and when it last changed (None: nothing). Only which
    folder, for a folder: git changes its own folders' times all the time."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(st.st_mode):
        return st.st_dev, st.st_ino
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _stamp(key: str, repo: git.Repo) -> tuple[object, ...]:
    """What `git.Repo(key)` found the repository from: when any of it changes (the
    repository deleted and made again, a `.git` created between `key` and the top,
    `core.worktree` set, …) the handle is opened again."""
    top = repo.working_tree_dir
    parts: list[object] = [tuple(os.environ.get(name) for name in _REPO_ENV)]
    parts += [_ident(top), _ident(repo.git_dir), _ident(repo.common_dir)]
    parts += [_sig(os.path.join(repo.git_dir, name)) for name in ("config", "commondir")]
    parts.append(_sig(os.path.join(repo.common_dir, "config")))
    if top is not None:
        parts.append(_sig(os.path.join(top, ".git")))
        folder, top = key, os.fspath(top)
        while folder != top:
            parts.append(_ident(os.path.join(folder, ".git")))
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
    return tuple(parts)


class _Handle:
    """One thread's open repository, with its own persistent `git cat-file` processes
    for reading many blobs at once. Not thread-safe: each thread has its own."""

    def __init__(self, repo: git.Repo, stamp: tuple[object, ...]) -> None:
        self.repo = repo
        self.stamp = stamp
        # `--batch` (True) and `--batch-check` (False); they end when dropped.
        self._cat_files: dict[bool, git.cmd.Git.AutoInterrupt] = {}

    def healthy(self) -> bool:
        """Whether no persistent git process (GitPython's or ours) has died: GitPython
        reports a dead one as a missing object in places (`Reference.is_valid`)."""
        running = [self.repo.git.cat_file_all, self.repo.git.cat_file_header]
        running += self._cat_files.values()
        return all(p is None or p.proc is None or p.proc.poll() is None for p in running)

    def close(self) -> None:
        self._cat_files.clear()
        self.repo.close()

    def objects(self, names: list[bytes], *, data: bool) -> list[_Object | None]:
        """What `git cat-file --batch(-check)` says of each name (None: missing), asked
        in a few round trips of one long-lived process."""
        if not names:
            return []
        try:
            return self._ask(names, data)
        except BaseException:
            # A half-read answer would hand every later question the wrong reply.
            self._cat_files.pop(data, None)
            raise

    def _ask(self, names: list[bytes], data: bool) -> list[_Object | None]:
        cat = self._cat_files.get(data)
        if cat is None:
            cat = self.repo.git(c=_SAFE_CONFIG).cat_file(
                "--batch" if data else "--batch-check", as_process=True, istream=subprocess.PIPE
            )
            self._cat_files[data] = cat
        proc = cat.proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            raise git.GitCommandError(cat.args, -1, "git cat-file is not running")
        out: list[_Object | None] = []
        i = 0
        while i < len(names):
            chunk: list[bytes] = []
            size = 0
            while i < len(names) and (not chunk or size + len(names[i]) < _PIPE_SAFE):
                chunk.append(names[i])
                size += len(names[i]) + 1
                i += 1
            proc.stdin.write(b"".join(name + b"\n" for name in chunk))
            proc.stdin.flush()
            for _ in chunk:
                line = proc.stdout.readline()
                if not line.endswith(b"\n"):  # git ended: a broken repository, or killed
                    proc.stdin.close()
                    stderr = proc.stderr.read() if proc.stderr else b""
                    raise git.GitCommandError(cat.args, proc.wait(), stderr)
                # "<sha> <type> <size>", else "<name> missing" (or "ambiguous")
                parts = line[:-1].split(b" ")
                if len(parts) != 3 or not parts[2].isdigit() or len(parts[0]) not in (40, 64):
                    out.append(None)
                    continue
                length = int(parts[2])
                body = None
                if data:
                    body = proc.stdout.read(length + 1)  # the content, then a newline
                    if len(body) != length + 1:
                        raise git.GitCommandError(cat.args, -1, "git cat-file output ended early")
                    body = body[:-1]
                out.append(_Object(parts[0], parts[1], length, body))
        return out


class _Handles(threading.local):
    """This thread's handles, by workspace root, least recently used first."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.by_root: OrderedDict[str, _Handle] = OrderedDict()


_HANDLES = _Handles()


def _checkout(root: Path) -> tuple[_Handle, bool]:
    """This thread's handle on the repository holding `root`, and whether it was open
    already. _NoRepository when there is none."""
    mine = _HANDLES
    if mine.pid != os.getpid():
        # A forked child must not talk to its parent's cat-file processes. Dropping
        # the handles cannot end those: they are not this process's children.
        mine.pid, mine.by_root = os.getpid(), OrderedDict()
    key = os.path.abspath(root)
    handle = mine.by_root.get(key)
    if handle is not None:
        if handle.stamp == _stamp(key, handle.repo) and handle.healthy():
            mine.by_root.move_to_end(key)
            return handle, True
        del mine.by_root[key]
        handle.close()
    repo = open_repo(root)
    if repo is None:
        raise _NoRepository(key)
    handle = _Handle(repo, _stamp(key, repo))
    mine.by_root[key] = handle
    while len(mine.by_root) > _MAX_HANDLES:
        mine.by_root.popitem(last=False)[1].close()
    return handle, False


def _forget(root: Path, handle: _Handle) -> None:
    by_root = _HANDLES.by_root
    key = os.path.abspath(root)
    if by_root.get(key) is handle:
        del by_root[key]
    handle.close()


def _using(root: Path, work: Callable[[_Handle], T]) -> T:
    """`work` on this thread's handle on the repository holding `root`.

    A handle kept from an earlier call may have gone stale in ways its stamp does not
    show (objects repacked, a process killed): when `work` fails on one, it is
    dropped and `work` runs once more on a fresh one. _NoRepository when `root` is in
    no repository."""
    handle, reused = _checkout(root)
    try:
        return work(handle)
    except _Refusal:
        raise
    except Exception:
        if not reused:
            raise
        _forget(root, handle)
    handle, _ = _checkout(root)
    return work(handle)


def toplevel(start: Path) -> Path | None:
    """The top folder of the work tree holding `start`; None outside one."""
    try:
        top = _using(start, lambda h: h.repo.working_tree_dir)
    except _NoRepository:
        return None
    return None if top is None else Path(top).resolve()


def info(root: Path) -> GitInfo:
    """Whether `root` is in a repository, and where its HEAD is."""

    def read(h: _Handle) -> GitInfo:
        head = h.repo.head.commit.hexsha  # ValueError without commits
        detached = h.repo.head.is_detached
        return GitInfo(
            is_repo=True,
            head=head,
            branch=None if detached else _branch_name(h.repo),
            detached=detached,
        )

    try:
        try:
            return _using(root, read)
        except ValueError:  # no commits yet: HEAD names an unborn branch
            return _using(root, lambda h: GitInfo(is_repo=True, branch=_branch_name(h.repo)))
    except _NoRepository:
        return GitInfo(is_repo=False)


def _branch_name(repo: git.Repo) -> str | None:
    try:
        return str(repo.active_branch.name)
    except TypeError:
        return None


def list_files(root: Path) -> list[str] | None:
    """Tracked plus untracked-not-ignored files, relative to `root`; None if not a repo."""

    def read(h: _Handle) -> tuple[str, Path]:
        out = h.repo.git(c=_SAFE_CONFIG).ls_files(
            "-z", "--cached", "--others", "--exclude-standard", "--", "."
        )
        return str(out), Path(h.repo.working_tree_dir or root).resolve()

    try:
        out, top = _using(root, read)
    except _NoRepository:
        return None
    # ls-files is run from the work tree top; entries are relative to it.
    prefix = root.resolve().relative_to(top).as_posix() if root.resolve() != top else ""
    files = [p for p in out.split("\0") if p]
    if prefix:
        files = [p[len(prefix) + 1 :] for p in files if p.startswith(prefix + "/")]
    return sorted(set(files))


def file_history(root: Path, rel: str, max_count: int = 10) -> list[Commit]:
    """The last commits that touched `rel`, newest first (empty without commits)."""

    def read(h: _Handle) -> list[Commit]:
        if not h.repo.head.is_valid():  # no commits yet
            return []
        commits = h.repo.iter_commits(paths=[rel], max_count=max_count)
        return [
            Commit(
                sha=c.hexsha,
                author=str(c.author.name),
                date=datetime.fromtimestamp(c.committed_date, UTC).strftime("%Y-%m-%d"),
                subject=str(c.summary),
            )
            for c in commits
        ]

    try:
        return _using(root, read)
    except _NoRepository:
        return []


def _verify(repo: git.Repo, ref: str, where: Path | str) -> str:
    # `--end-of-options` makes a "ref" such as `--output=/tmp/x` a ref that names
    # nothing rather than an option; `^{commit}` refuses trees, blobs and ranges.
    try:
        return str(repo.git.rev_parse("--verify", "--quiet", "--end-of-options", ref + "^{commit}"))
    except git.GitCommandError:
        raise _Refusal(f"{ref!r} does not name a commit in {where}") from None


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
        return list(self._added)

    # Worked out once per hunk: hunks are immutable, remembered diffs share them
    # between gatherings, and a gathering asks for each hunk's lines several times.
    @cached_property
    def _added(self) -> tuple[tuple[int, str], ...]:
        out: list[tuple[int, str]] = []
        line = self.new_start
        for raw in self.lines:
            if raw.startswith("+"):
                out.append((line, raw[1:]))
                line += 1
            elif raw.startswith(" "):
                line += 1
        return tuple(out)

    def touched(self) -> list[int]:
        """Lines of the new file this hunk changes: added lines, and for each run of
        removed lines the new line where they were (so a pure deletion has a place)."""
        return list(self._touched)

    @cached_property
    def _touched(self) -> tuple[int, ...]:
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
        return tuple(out)


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


# The bytes git quotes in a name: control characters, `"`, backslash, DEL, non-ASCII.
_NEEDS_QUOTES = re.compile(rb'[\x00-\x1f"\\\x7f-\xff]')


def _c_quote(name: str) -> str:
    """`name` as git quotes a path in patch headers (core.quotePath=true)."""
    data = name.encode("utf-8", "surrogateescape")
    if _NEEDS_QUOTES.search(data) is None:
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


def _in_repository(root: Path, work: Callable[[_Handle, str], T]) -> T:
    """`work(handle, prefix)` on the repository holding `root`, where `prefix` is
    `root`'s folder inside it ("" at the top). ValueError outside a repository or
    without commits."""

    def run(h: _Handle) -> T:
        if not h.repo.head.is_valid():
            raise ValueError("the repository has no commits yet: there is nothing to compare")
        top = Path(h.repo.working_tree_dir or root).resolve()
        here = root.resolve()
        return work(h, "" if here == top else here.relative_to(top).as_posix())

    try:
        return _using(root, run)
    except _NoRepository:
        raise ValueError(
            f"{root} is not a git repository: there are no changes to compare"
        ) from None


# -- facts that a commit sha fixes, kept per process ------------------------------------


class _Memo(Generic[K, V]):
    """A bounded least-recently-used map, shared by the threads of a process, for
    facts that never change once computed (they are keyed by commit shas). Values
    must be immutable: every caller gets the same object."""

    def __init__(self, entries: int, size: int) -> None:
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._entries, self._size, self._total = entries, size, 0
        self._lock = threading.Lock()
        _MEMOS.append(self)

    def get(self, key: K) -> tuple[V] | None:
        """(value,) when known (a value may itself be None), else None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return (item[0],)

    def put(self, key: K, value: V, size: int = 1) -> None:
        if size > self._size:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._total -= old[1]
            self._items[key] = (value, size)
            self._total += size
            while len(self._items) > self._entries or self._total > self._size:
                self._total -= self._items.popitem(last=False)[1][1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._total = 0

    def _after_fork(self) -> None:
        # Another thread may have held the lock when the process forked.
        self._lock = threading.Lock()


_MEMOS: list[_Memo[Any, Any]] = []


def _after_fork() -> None:
    for memo in _MEMOS:
        memo._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


class _Inputs(NamedTuple):
    """What, besides the objects, could make `git diff` print something else: its
    configuration and attributes (a diff driver's hunk headers, `binary`, `-diff`,
    `diff.algorithm`, …) and its environment."""

    env: tuple[tuple[str, str], ...]
    fixed: tuple[object, ...]  # configuration and attribute files outside the work tree
    watched: tuple[tuple[int, ...] | None, ...]  # `.gitattributes`


class _Diff(NamedTuple):
    files: tuple[FileChange, ...]
    watched: tuple[str, ...]  # the `.gitattributes` of the changed paths' folders
    inputs: _Inputs  # when the diff was made


_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# (repository, sha, head) → their merge-base, None without common history
_MERGE_BASES: _Memo[tuple[str, str, str], str | None] = _Memo(256, 256)
# (repository, base, head, prefix) → (the first commits listed, how many in all)
_COMMITS: _Memo[tuple[str, str, str, str], tuple[tuple[Commit, ...], int]] = _Memo(32, 16 << 20)
# (repository, base, head, prefix) → the files changed, and what git read besides the
# objects to render them
_DIFFS: _Memo[tuple[str, str, str, str], _Diff] = _Memo(16, 32 << 20)
# (repository, commit, path) → the blob's content; its size when it was too big to
# read; None when the path is not a blob there
_BLOBS: _Memo[tuple[str, str, str], bytes | int | None] = _Memo(1 << 16, 32 << 20)
_PACKED_REFS: dict[str, tuple[object, bool]] = {}


def clear_caches() -> None:
    """Forget every remembered merge-base, commit list, diff and blob of this process."""
    for memo in _MEMOS:
        memo.clear()


def _repo_key(repo: git.Repo) -> str:
    # A sha names the same content in any repository, so a repository made again at
    # the same path may share entries; callers make sure the shas exist in it.
    return os.path.abspath(repo.common_dir)


def _is_shallow(repo: git.Repo) -> bool:
    # git's own test (`is_repository_shallow`): whether `shallow` in the common git
    # folder can be opened for reading.
    return os.access(os.path.join(repo.common_dir, "shallow"), os.R_OK)


def _replaced(repo: git.Repo) -> bool:
    """Whether replace refs (`git replace`) may make a sha stand for other content, so
    that nothing keyed by shas may be remembered."""
    common = os.path.abspath(repo.common_dir)
    if os.environ.get("GIT_REPLACE_REF_BASE") or os.path.exists(os.path.join(common, "reftable")):
        return True  # refs this module cannot list cheaply
    try:
        with os.scandir(os.path.join(common, "refs", "replace")) as entries:
            if any(True for _ in entries):
                return True
    except OSError:
        pass
    packed = os.path.join(common, "packed-refs")
    stamp = _sig(packed)
    if stamp is None:
        return False
    known = _PACKED_REFS.get(common)
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        with open(packed, "rb") as f:
            found = b" refs/replace/" in f.read()
    except OSError:
        return True
    if len(_PACKED_REFS) > 64:
        _PACKED_REFS.clear()
    _PACKED_REFS[common] = (stamp, found)
    return found


def _history_fixed(repo: git.Repo) -> bool:
    """Whether the commits between two shas are fixed by the shas: not in a shallow
    clone (fetching more history adds some), nor with grafts or replace refs."""
    if _is_shallow(repo) or os.environ.get("GIT_GRAFT_FILE"):
        return False
    return not os.path.exists(os.path.join(repo.common_dir, "info", "grafts")) and not _replaced(
        repo
    )


def _merge_base(repo: git.Repo, sha: str, head: str) -> str | None:
    key = (_repo_key(repo), sha, head)
    fixed = _history_fixed(repo)
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
            raise _Refusal(
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
    raise _Refusal(
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
    return _in_repository(
        root, lambda h, _: _find_base(h.repo, ref, root, h.repo.head.commit.hexsha)
    )


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

    def gather(h: _Handle, prefix: str) -> ChangeSet:
        # The refs and HEAD move: they are read every time; what they point at is not.
        head = h.repo.head.commit.hexsha
        name, base = _find_base(h.repo, ref, root, head)
        commits, count = _commits(h.repo, base, head, prefix)
        return ChangeSet(
            base_ref=name,
            base=base,
            head=head,
            commits=list(commits),
            files=list(_diff(h.repo, base, None if uncommitted else head, prefix)),
            uncommitted=uncommitted,
            more_commits=max(0, count - MAX_COMMITS),
            shallow=_is_shallow(h.repo),
        )

    return _in_repository(root, gather)


def _commits(repo: git.Repo, base: str, head: str, prefix: str) -> tuple[tuple[Commit, ...], int]:
    """The first MAX_COMMITS commits from `base` (excluded) to `head` touching
    `prefix`, newest first, and how many there are in all."""
    key = (_repo_key(repo), base, head, prefix)
    fixed = _history_fixed(repo)
    if fixed:
        known = _COMMITS.get(key)
        if known is not None:
            return known[0]
    listed = list(repo.iter_commits(f"{base}..{head}", paths=prefix, max_count=MAX_COMMITS + 1))
    count = len(listed)
    if count > MAX_COMMITS:
        count = int(repo.git.rev_list("--count", f"{base}..{head}", "--", prefix or "."))
    found = tuple(_commit(c) for c in listed[:MAX_COMMITS]), count
    if fixed:
        _COMMITS.put(key, found, sum(200 + len(c.subject) + len(c.body) for c in found[0]))
    return found


# The system-wide configuration and attributes, where common builds of git keep them.
_SYSTEM_FILES = tuple(
    os.path.join(etc, name)
    for etc in ("/etc", "/usr/local/etc", "/opt/homebrew/etc")
    for name in ("gitconfig", "gitattributes")
)


def _diff_inputs(repo: git.Repo, watched: tuple[str, ...] = ()) -> _Inputs:
    home = os.environ.get("HOME") or os.path.expanduser("~")
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = [
        os.path.join(home, ".gitconfig"),
        os.path.join(xdg, "git", "config"),
        os.path.join(xdg, "git", "attributes"),
        os.path.join(repo.common_dir, "config"),
        os.path.join(repo.git_dir, "config.worktree"),
        os.path.join(repo.common_dir, "info", "attributes"),
        *_SYSTEM_FILES,
    ]
    files += [os.environ.get(var, "") for var in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM")]
    env = tuple(
        sorted(
            (k, v)
            for k, v in os.environ.items()
            if (k.startswith("GIT_") and "TRACE" not in k) or k in ("HOME", "XDG_CONFIG_HOME")
        )
    )
    return _Inputs(
        env,
        tuple((f, _sig(f)) for f in files if f),
        tuple(_sig(f) for f in watched),
    )


def _attribute_files(repo: git.Repo, prefix: str, files: tuple[FileChange, ...]) -> tuple[str, ...]:
    """The `.gitattributes` that apply to the changed paths, whether they exist or not."""
    top = repo.working_tree_dir
    if top is None:
        return ()
    folders = {""}
    for fc in files:
        for path in fc.paths:
            parts = (f"{prefix}/{path}" if prefix else path).split("/")[:-1]
            folders.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))
    return tuple(os.path.join(top, folder, ".gitattributes") for folder in sorted(folders))


def _diff(repo: git.Repo, base: str, head: str | None, prefix: str) -> tuple[FileChange, ...]:
    """The files changed from commit `base` to commit `head` (None: the work tree)."""
    relative = f"--relative={prefix}" if prefix else "--no-relative"
    sides = [base] if head is None else [base, head]

    def run() -> bytes:
        out: bytes = repo.git(c=_SAFE_CONFIG).diff(
            *_DIFF_FORMAT,
            relative,
            *sides,
            "--",
            stdout_as_string=False,
            strip_newline_in_stdout=False,
        )
        return out

    if head is None or _replaced(repo):  # the work tree is not fixed by a sha
        return tuple(parse_diff(run()))
    key = (_repo_key(repo), base, head, prefix)
    known = _DIFFS.get(key)
    if known is not None and _diff_inputs(repo, known[0].watched) == known[0].inputs:
        return known[0].files
    before = _diff_inputs(repo)
    started = time.time_ns()
    out = run()
    files = tuple(parse_diff(out))
    watched = _attribute_files(repo, prefix, files)
    inputs = _diff_inputs(repo, watched)
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

    def read(h: _Handle, prefix: str) -> tuple[str, str]:
        out = h.repo.git(c=_SAFE_CONFIG).ls_files(
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

    def read(h: _Handle, prefix: str) -> dict[str, bytes | None]:
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
    h: _Handle, rev: str, prefix: str, rels: list[str], max_bytes: int
) -> dict[str, bytes | None]:
    """`files_at` in two round trips in all (`cat-file --batch-check`, then `--batch`
    for the blobs small enough) of long-lived processes, for what is not remembered."""
    out: dict[str, bytes | None] = dict.fromkeys(rels)
    memo = _SHA.fullmatch(rev) is not None and not _replaced(h.repo)
    if memo:
        try:  # a commit this repository lacks has no files, whatever was remembered
            h.repo.git.get_object_header(rev)
        except ValueError:
            memo = False
    repo_key = _repo_key(h.repo)
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
