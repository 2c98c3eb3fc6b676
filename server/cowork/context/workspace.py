"""The workspace as files: where it is, what is in it, and reading a file safely."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cowork.context import git as gitfacts
from cowork.errors import InputError

# A file larger than this is not read whole; a model would not be sent it either.
MAX_FILE_BYTES = 1_000_000

# Folders never worth walking when the workspace is not a git repository.
_SKIP_DIRS = {
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


def listing(root: Path, git_files: list[str] | None = None) -> Listing:
    """`inventory(root)` with what one look at each file tells: its stat and whether it
    is a symbolic link (one system call per file, two for a link). `git_files` is
    `gitfacts.list_files(root)` when the caller has it already."""
    files = git_files if git_files is not None else gitfacts.list_files(root)
    if files is None:
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(
                d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")
            )
            base = Path(dirpath).relative_to(root)
            files.extend((base / name).as_posix() for name in filenames)
    top = os.path.join(root, "")  # with its separator: a plain join per file is costly
    stats: dict[str, os.stat_result] = {}
    links: set[str] = set()
    for f in files:
        if f.startswith(".cowork/"):
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
    return Listing(sorted(stats), stats, frozenset(links))
