"""Each thread's long-lived handles on its git repositories. Blocking: call off the
event loop.

Starting git costs more than most questions asked of it, so each thread keeps its
repositories open, with their `git cat-file` processes, across calls. A handle is
opened again when what `git.Repo` found the repository from changes, or when one of
its processes has died.
"""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, TypeVar

import git

# The repository's configuration must neither change what git prints nor run programs
# (an fsmonitor hook runs on every command that looks at the work tree).
SAFE_CONFIG = ["core.quotePath=true", "core.fsmonitor=false", "diff.noprefix=false"]


def open_repo(root: Path) -> git.Repo | None:
    """The repository whose work tree is exactly `root`'s top level, else None.

    A new `git.Repo` the caller closes (`with repo:`); the git facts (`git.py`) use
    this thread's long-lived handle instead (`using`)."""
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


T = TypeVar("T")

# What `git.Repo(...)` reads from the environment to find the repository.
_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY")
_MAX_HANDLES = 8  # repositories kept open per thread
# At most this many bytes of questions are written to a cat-file before reading its
# answers: they fit in any pipe's buffer, so the write never waits for git, which
# may itself be waiting for us to read.
_PIPE_SAFE = 4096


class NoRepository(Exception):
    """`root` is in no git repository."""


class Refusal(ValueError):
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


def sig(path: str | os.PathLike[str]) -> tuple[int, ...] | None:
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
    parts += [sig(os.path.join(repo.git_dir, name)) for name in ("config", "commondir")]
    parts.append(sig(os.path.join(repo.common_dir, "config")))
    if top is not None:
        parts.append(sig(os.path.join(top, ".git")))
        folder, top = key, os.fspath(top)
        while folder != top:
            parts.append(_ident(os.path.join(folder, ".git")))
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
    return tuple(parts)


class Handle:
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

    def head(self) -> str | None:
        """HEAD's commit sha, None without commits: asked of this handle's own
        `cat-file` (GitPython's `head.commit` would start a second pair of them)."""
        found = self.objects([b"HEAD"], data=False)[0]
        return found.sha.decode() if found is not None and found.type == b"commit" else None

    def has(self, name: str) -> bool:
        """Whether `name` (a sha, a ref) names an object in this repository."""
        return self.objects([name.encode("utf-8", "surrogateescape")], data=False)[0] is not None

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
            cat = self.repo.git(c=SAFE_CONFIG).cat_file(
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
        self.by_root: OrderedDict[str, Handle] = OrderedDict()


_HANDLES = _Handles()


def _checkout(root: Path) -> tuple[Handle, bool]:
    """This thread's handle on the repository holding `root`, and whether it was open
    already. NoRepository when there is none."""
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
        raise NoRepository(key)
    handle = Handle(repo, _stamp(key, repo))
    mine.by_root[key] = handle
    while len(mine.by_root) > _MAX_HANDLES:
        mine.by_root.popitem(last=False)[1].close()
    return handle, False


def _forget(root: Path, handle: Handle) -> None:
    by_root = _HANDLES.by_root
    key = os.path.abspath(root)
    if by_root.get(key) is handle:
        del by_root[key]
    handle.close()


def using(root: Path, work: Callable[[Handle], T]) -> T:
    """`work` on this thread's handle on the repository holding `root`.

    A handle kept from an earlier call may have gone stale in ways its stamp does not
    show (objects repacked, a process killed): when `work` fails on one, it is
    dropped and `work` runs once more on a fresh one. NoRepository when `root` is in
    no repository."""
    handle, reused = _checkout(root)
    try:
        return work(handle)
    except Refusal:
        raise
    except Exception:
        if not reused:
            raise
        _forget(root, handle)
    handle, _ = _checkout(root)
    return work(handle)
