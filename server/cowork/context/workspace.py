"""The workspace as files: where it is, what is in it, and reading a file safely."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from cowork.context import git as gitfacts
from cowork.errors import InputError

# A file larger than this is not read whole; a model would not be sent it either.
MAX_FILE_BYTES = 1_000_000

# Folders never worth walking when the workspace is not a git repository.
SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    ".cowork",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tox",
    "dist",
    "build",
    "target",
}


def find_workspace_root(start: Path) -> Path:
    """The git top level holding `start`, else `start` itself."""
    top = gitfacts.toplevel(start)
    return top if top is not None else start.resolve()


def relative_to(root: Path, path: Path) -> str:
    """`path` as a POSIX path relative to `root`; InputError when it lies outside."""
    resolved = path.resolve()
    try:
        rel = resolved.relative_to(root.resolve())
    except ValueError:
        raise InputError(f"{path} is outside the workspace {root}") from None
    return rel.as_posix()


def inventory(root: Path) -> list[str]:
    """Every file of the workspace as a relative POSIX path, sorted.

    In a git repository: tracked files plus untracked ones git does not
    ignore, so .gitignore is honoured. Elsewhere: a walk that skips hidden
    and tool folders. `.cowork/` is never part of it.
    """
    return listing(root).files


@dataclass(frozen=True)
class Listing:
    files: list[str]  # what `inventory` returns
    stats: dict[str, os.stat_result]  # of each file (of its target, for a link)
    links: frozenset[str]  # the files that are symbolic links


# What Path.is_file() takes as "not a file" rather than an error.
_NOT_THERE = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


def listing(
    root: Path,
    git_files: list[str] | None = None,
    known: Listing | None = None,
    fresh: Collection[str] = (),
) -> Listing:
    """`inventory(root)` with what one look at each file tells: its stat and whether it
    is a symbolic link (one system call per file, two for a link). `git_files` is
    `gitfacts.list_files(root)` when the caller has it already. With `known`, a
    listing whose files are unchanged except the `fresh` ones, files of `known`
    (not links) are not looked at again."""
    files = git_files if git_files is not None else gitfacts.list_files(root)
    if files is None:
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(
                d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
            )
            base = Path(dirpath).relative_to(root)
            files.extend((base / name).as_posix() for name in filenames)
    top = os.path.join(root, "")  # with its separator: a plain join per file is costly
    stats: dict[str, os.stat_result] = {}
    links: set[str] = set()
    reuse = known.stats if known is not None else {}
    old_links = known.links if known is not None else frozenset()
    for f in files:
        if f.startswith(".cowork/"):
            continue
        old = reuse.get(f)
        if old is not None and f not in fresh and f not in old_links:
            stats[f] = old
            continue
        path = top + f
        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                links.add(f)
                st = os.stat(path)
        except OSError as exc:  # as Path.is_file(): gone or unreachable is "not a file"
            if exc.errno not in _NOT_THERE:
                raise
            continue
        if stat.S_ISREG(st.st_mode):
            stats[f] = st
    names = sorted(stats)
    if known is not None and names == known.files:
        names = known.files  # the same list: what was worked out from it still holds
    return Listing(names, stats, frozenset(links))


def restat(root: Path, known: Listing, paths: Collection[str], *, trust: bool = False) -> Listing:
    """`known` with its files among `paths` looked at again (the same files: one that
    is gone or no longer a file is dropped); `known` itself when nothing changed.

    A file rewritten within the file system's timestamp granularity keeps its stat,
    so a file reported changed gets a new entry regardless, unless `trust` says its
    stat alone may tell (links, which no watch covers)."""
    stats = dict(known.stats)
    links = set(known.links)
    top = os.path.join(root, "")
    gone = changed = False
    for f in paths:
        if f not in stats:
            continue
        try:
            st = os.lstat(top + f)
            if stat.S_ISLNK(st.st_mode):
                links.add(f)
                st = os.stat(top + f)
            else:
                links.discard(f)
        except OSError as exc:
            if exc.errno not in _NOT_THERE:
                raise
            st = None
        if st is None or not stat.S_ISREG(st.st_mode):
            del stats[f]
            gone = True
        elif trust and _same(st, stats[f]):
            continue
        else:
            stats[f] = st
            changed = True
    if not (gone or changed or links != known.links):
        return known  # the very listing: what was worked out from it still holds
    files = sorted(stats) if gone else known.files
    return Listing(files, stats, frozenset(links))


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_mtime_ns, a.st_ctime_ns, a.st_size, a.st_ino, a.st_dev) == (
        b.st_mtime_ns,
        b.st_ctime_ns,
        b.st_size,
        b.st_ino,
        b.st_dev,
    )
