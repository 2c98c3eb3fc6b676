"""What changed in a workspace since the last look, told by the kernel (Linux inotify).

Proving a 10,000-file workspace unchanged by looking at it costs a `git ls-files`
and one `lstat` per file on every gathering. A watch kept between gatherings
answers the same question from a queue: the kernel records an event in the
watching process's queue during the system call that changed a file, so
draining the queue at the start of a gathering sees every change that
finished before it; no barrier is needed.

Every folder that may hold a file of the listing is watched: every folder of the
work tree except `.git`, `.cowork` and folders git's rules ignore (nothing
untracked in an ignored folder can be listed; tracked files in one are, so their
folders are added). Also watched: the git folder itself (the index says what is tracked) and
its `info/` (the repository's own ignore rules). When the watch cannot be kept
(not Linux, the per-user watch limit, a queue overflow) it says "everything may
have changed", and callers look at everything, as they would without it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

try:
    from inotify_simple import INotify
    from inotify_simple import flags as _f
except ImportError:  # not Linux: callers look at everything every time
    INotify = None

# Folders never watched: git's own (only the index and info/ matter, watched apart),
# and cowork's, which the server writes while tasks run.
_NEVER = {".git", ".cowork"}

# Names in the git folder whose change can change what `git ls-files` lists.
_GIT_LISTING = {"index", "info", "exclude", "sparse-checkout"}


@dataclass
class Changes:
    """What may differ since the last look.

    `everything`: nothing can be trusted (the first look, a lost watch, an
    overflowed queue). `listing`: files may have appeared or gone, or become
    ignored or tracked: the list of files must be made again (but only `paths`
    need a new look). `paths`: workspace-relative files whose content or metadata
    may differ.
    """

    everything: bool = False
    listing: bool = False
    paths: set[str] = field(default_factory=set)

    @property
    def none(self) -> bool:
        return not (self.everything or self.listing or self.paths)


EVERYTHING = Changes(everything=True)


def git_dirs(root: Path) -> list[Path]:
    """The folders of `root`'s repository whose files decide what git lists: the git
    folder (its index) and the common folder's `info/` (its exclude file). Empty
    outside a repository."""
    here = root.resolve()
    for folder in (here, *here.parents):
        dot = folder / ".git"
        if dot.is_dir():
            gitdir = dot
        elif dot.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot.read_text(encoding="utf-8", errors="replace").strip()
            if not text.startswith("gitdir:"):
                return []
            gitdir = (folder / text.removeprefix("gitdir:").strip()).resolve()
        else:
            continue
        common = gitdir
        with contextlib.suppress(OSError):
            common = (gitdir / (gitdir / "commondir").read_text().strip()).resolve()
        return list(dict.fromkeys([gitdir, gitdir / "info", common / "info"]))
    return []


def ignored(root: Path, folders: list[str]) -> set[str] | None:
    """Which of `folders` (relative to `root`) git's ignore rules match; None when git
    cannot say (not a repository). A folder merely holding only ignored files is not
    ignored: a file added to it later may well be listed."""
    if not folders:
        return set()
    done = subprocess.run(
        # A repository's config must not run a hook (fsmonitor) on our behalf.
        ["git", "-c", "core.fsmonitor=false", "check-ignore", "--stdin", "-z"],
        cwd=root,
        input=b"".join(os.fsencode(f) + b"\0" for f in folders),
        capture_output=True,
        check=False,
    )
    if done.returncode not in (0, 1):  # 1: none of them is ignored
        return None
    return {os.fsdecode(n) for n in done.stdout.split(b"\0") if n}


class WorkspaceWatch:
    """An inotify watch over one workspace's folders; `take()` tells what changed
    since the previous `take()` (the first tells everything).

    Not thread-safe on its own: its owner serialises calls.
    """

    def __init__(self, root: Path, skip: set[str]) -> None:
        self.root = root
        self._skip = skip  # folder names skipped when not in a repository
        self._notify = None
        if INotify is not None:
            try:
                self._notify = INotify()
            except OSError as exc:  # fs.inotify.max_user_instances, or no fds left
                log.info("not watching %s: %s", root, exc)
        self._folders: dict[int, str] = {}  # watch descriptor -> relative folder ("" top)
        self._git: dict[int, Path] = {}  # watch descriptor -> git folder
        self._watched: set[str] = set()
        self._broken = self._notify is None
        self._first = True

    @staticmethod
    def supported() -> bool:
        return INotify is not None

    @property
    def active(self) -> bool:
        return not self._broken

    def watch(self, extra: Iterable[str] = ()) -> None:
        """Watch every folder that may hold a listed file, plus `extra` folders. Call
        before looking at the workspace: what changes while it is looked at is then
        reported next time."""
        if self._broken:
            return
        try:
            for gitdir in git_dirs(self.root):
                if gitdir.is_dir():
                    wd = self._add(gitdir, _GIT_MASK)
                    self._git[wd] = gitdir
            for rel in self._walk(in_git=bool(self._git)):
                self._watch_folder(rel)
            self.watch_more(extra)
        except OSError as exc:
            self._give_up(exc)

    def watch_more(self, folders: Iterable[str]) -> list[str]:
        """Also watch `folders` (and the folders holding them); the ones that were not
        watched yet, whose files the caller must look at once more."""
        added: list[str] = []
        if self._broken:
            return added
        try:
            for folder in folders:
                rel = folder
                while rel and rel not in self._watched:
                    if self._watch_folder(rel):
                        added.append(rel)
                    rel = rel.rpartition("/")[0]
        except OSError as exc:
            self._give_up(exc)
        return added

    def _walk(self, *, in_git: bool) -> list[str]:
        """The folders to watch, a level at a time (so git is asked once per level,
        and nothing under an ignored folder such as node_modules is visited)."""
        found = [""]
        level = [""]
        while level:
            children: list[str] = []
            for rel in level:
                try:
                    entries = os.scandir(os.path.join(self.root, rel))
                except OSError:
                    continue
                with entries:
                    for entry in entries:
                        if not entry.is_dir(follow_symlinks=False) or entry.name in _NEVER:
                            continue
                        if not in_git and (entry.name in self._skip or entry.name[0] == "."):
                            continue
                        children.append(f"{rel}/{entry.name}" if rel else entry.name)
            skipped = ignored(self.root, children) if in_git else set()
            if skipped is None:  # git cannot tell: watch them all
                skipped = set()
            level = [c for c in children if c not in skipped]
            found += level
        return found

    def _watch_folder(self, rel: str) -> bool:
        try:
            wd = self._add(self.root / rel, _MASK)
        except (FileNotFoundError, NotADirectoryError):
            return False  # gone meanwhile: its parent's event says so
        self._folders[wd] = rel
        self._watched.add(rel)
        return True

    def _add(self, path: Path, mask: int) -> int:
        assert self._notify is not None
        return int(self._notify.add_watch(path, mask))

    def _give_up(self, exc: OSError) -> None:
        if exc.errno == errno.ENOSPC:
            log.info(
                "not watching %s: the inotify watch limit is reached "
                "(fs.inotify.max_user_watches); gathering will look at every file",
                self.root,
            )
        else:
            log.info("not watching %s: %s", self.root, exc)
        self.close()

    def take(self) -> Changes:
        """What may have changed since the previous call (everything, the first time)."""
        if self._broken or self._notify is None:
            return EVERYTHING
        changes = Changes(everything=self._first)
        self._first = False
        rewatch = False
        try:
            while True:
                events = self._notify.read(timeout=0)
                if not events:
                    break
                for event in events:
                    rewatch |= self._note(event, changes)
            if rewatch:
                self.watch()
        except OSError as exc:
            self._give_up(exc)
            return EVERYTHING
        if self._broken:
            return EVERYTHING
        return changes

    def _note(self, event: Any, changes: Changes) -> bool:
        """Record `event` (an inotify_simple Event) in `changes`; True when folders must
        be watched anew."""
        wd, mask, name = int(event.wd), int(event.mask), str(event.name)
        if mask & _f.Q_OVERFLOW:
            changes.everything = True
            return True
        if wd in self._git:
            if mask & _f.IGNORED:
                del self._git[wd]
                changes.everything = True
                return True
            if name in _GIT_LISTING or not name:
                changes.listing = True
            return False
        folder = self._folders.get(wd)
        if folder is None:
            return False
        if mask & _f.IGNORED:  # the folder is gone (or moved away): forget it
            del self._folders[wd]
            self._watched.discard(folder)
            changes.listing = True
            return False
        if mask & (_f.DELETE_SELF | _f.MOVE_SELF):
            changes.listing = True
            return True
        rel = f"{folder}/{name}" if folder else name
        if mask & _f.ISDIR:
            if mask & (_f.CREATE | _f.MOVED_TO | _f.MOVED_FROM | _f.DELETE):
                # Files under a folder that came or went (or was swapped for another
                # of the same name) sent no events of their own: look at all of them.
                changes.everything = True
                return True
            return False
        if name == ".gitignore":
            changes.listing = True
            changes.paths.add(rel)
            return True  # folders may have stopped (or started) being ignored
        if mask & (_f.CREATE | _f.DELETE | _f.MOVED_FROM | _f.MOVED_TO):
            changes.listing = True
        changes.paths.add(rel)
        return False

    def close(self) -> None:
        self._broken = True
        if self._notify is not None:
            with contextlib.suppress(OSError):
                self._notify.close()
        self._folders.clear()
        self._git.clear()
        self._watched.clear()


if INotify is not None:
    _MASK = (
        _f.MODIFY
        | _f.ATTRIB
        | _f.CLOSE_WRITE
        | _f.CREATE
        | _f.DELETE
        | _f.MOVED_FROM
        | _f.MOVED_TO
        | _f.DELETE_SELF
        | _f.MOVE_SELF
        | _f.DONT_FOLLOW
        | _f.ONLYDIR
        | _f.EXCL_UNLINK
    )
    _GIT_MASK = _f.CLOSE_WRITE | _f.CREATE | _f.DELETE | _f.MOVED_TO | _f.MOVED_FROM | _f.ONLYDIR
else:
    _MASK = _GIT_MASK = 0
