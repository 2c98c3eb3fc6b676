"""What commit shas fix (merge-bases, the commits between two shas, the diff between
two commits, blobs), remembered per process, and when a remembered answer may be
reused.

A sha fixes less than it seems: replace refs, grafts and shallow clones can change
the history or content it stands for, and a diff also depends on the configuration,
attributes and environment git read to print it. The memos live beside the
functions that consult them (`git.py`), so this module needs none of their value
types; `clear_caches` forgets them all.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, NamedTuple, TypeVar

import git

from cowork.context.diff import FileChange
from cowork.context.gitrepo import sig

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
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


_MEMOS: list[Memo[Any, Any]] = []


def _after_fork() -> None:
    for memo in _MEMOS:
        memo._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


class Inputs(NamedTuple):
    """What, besides the objects, could make `git diff` print something else: its
    configuration and attributes (a diff driver's hunk headers, `binary`, `-diff`,
    `diff.algorithm`, …) and its environment."""

    env: tuple[tuple[str, str], ...]
    fixed: tuple[object, ...]  # configuration and attribute files outside the work tree
    watched: tuple[tuple[int, ...] | None, ...]  # `.gitattributes`


_PACKED_REFS: dict[str, tuple[object, bool]] = {}


def clear_caches() -> None:
    """Forget every remembered merge-base, commit list, diff and blob of this process."""
    for memo in _MEMOS:
        memo.clear()


def repo_key(repo: git.Repo) -> str:
    """The repository part of a memo's key: its common git folder."""
    # A sha names the same content in any repository, so a repository made again at
    # the same path may share entries; callers make sure the shas exist in it.
    return os.path.abspath(repo.common_dir)


def is_shallow(repo: git.Repo) -> bool:
    """Whether `repo` is a shallow clone: some of its history is not there."""
    # git's own test (`is_repository_shallow`): whether `shallow` in the common git
    # folder can be opened for reading.
    return os.access(os.path.join(repo.common_dir, "shallow"), os.R_OK)


def replaced(repo: git.Repo) -> bool:
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
    stamp = sig(packed)
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


def history_fixed(repo: git.Repo) -> bool:
    """Whether the commits between two shas are fixed by the shas: not in a shallow
    clone (fetching more history adds some), nor with grafts or replace refs."""
    if is_shallow(repo) or os.environ.get("GIT_GRAFT_FILE"):
        return False
    return not os.path.exists(os.path.join(repo.common_dir, "info", "grafts")) and not replaced(
        repo
    )


# The system-wide configuration and attributes, where common builds of git keep them.
_SYSTEM_FILES = tuple(
    os.path.join(etc, name)
    for etc in ("/etc", "/usr/local/etc", "/opt/homebrew/etc")
    for name in ("gitconfig", "gitattributes")
)


def diff_inputs(repo: git.Repo, watched: tuple[str, ...] = ()) -> Inputs:
    """The state now of what `git diff` in `repo` reads besides the objects, with that
    of the `watched` files (the `.gitattributes` of a diff's paths, from
    `attribute_files`)."""
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
    return Inputs(
        env,
        tuple((f, sig(f)) for f in files if f),
        tuple(sig(f) for f in watched),
    )


def attribute_files(repo: git.Repo, prefix: str, files: tuple[FileChange, ...]) -> tuple[str, ...]:
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
