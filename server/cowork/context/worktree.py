"""The isolated git worktree a `change` task works in, never the user's own tree.

`.cowork/worktrees/<taskId>` on a branch `cowork/<slug>-<id>` from the user's
HEAD (or a base they named). The user's uncommitted changes to the files in
context are carried over and committed there first, so the proposed patch is
exactly the model's edits, on top of what the user sees. Blocking: call off the
event loop.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cowork.errors import TaskFailure

WORKTREES = "worktrees"
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "cowork",
    "GIT_AUTHOR_EMAIL": "cowork@localhost",
    "GIT_COMMITTER_NAME": "cowork",
    "GIT_COMMITTER_EMAIL": "cowork@localhost",
}


@dataclass(frozen=True)
class Worktree:
    path: Path
    branch: str
    base: str  # the commit the proposed edits apply to (carried-over changes included)
    # Only the files edits touch are checked out (no tests to run there): a 10,000-file
    # checkout costs seconds; `git sparse-checkout disable` in it brings the rest.
    sparse: bool = False


def folder(root: Path, task_id: str) -> Path:
    return root / ".cowork" / WORKTREES / task_id


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **_GIT_ENV},
    )
    if check and result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise TaskFailure(f"git {args[0]} failed: {message[-1] if message else result.returncode}")
    return result


def create(
    root: Path,
    task_id: str,
    slug: str,
    base: str | None,
    carry: dict[str, str | None],
    only: list[str] | None = None,
) -> Worktree:
    """A new worktree for `task_id` (one left by an earlier run of it is removed first).
    `carry`: workspace-relative files whose uncommitted text is carried over, with the
    editor's unsaved text where there is some (None: as on disk). `only`: check out just
    these files (and `carry`'s), sparsely; None: the whole tree."""
    remove(root, task_id)
    where = folder(root, task_id)
    where.parent.mkdir(parents=True, exist_ok=True)
    start = base or "HEAD"
    found = _git(root, "rev-parse", "--verify", "--quiet", f"{start}^{{commit}}", check=False)
    if found.returncode:
        raise TaskFailure(f"{start!r} is not a commit of this repository; a change needs one")
    branch = f"cowork/{slug}-{task_id[:6]}"
    sparse = only is not None
    if sparse:
        _git(root, "worktree", "add", "--quiet", "--no-checkout", "-B", branch, str(where), start)
        _git(where, "sparse-checkout", "set", "--no-cone", *_patterns([*carry, *(only or [])]))
    else:
        _git(root, "worktree", "add", "--quiet", "-B", branch, str(where), start)
    carried = []
    for rel, unsaved in carry.items():
        theirs = where / rel
        try:
            data = unsaved.encode() if unsaved is not None else (root / rel).read_bytes()
        except OSError:
            continue  # gone or unreadable: the committed version stands
        if not theirs.exists() or theirs.read_bytes() != data:
            theirs.parent.mkdir(parents=True, exist_ok=True)
            theirs.write_bytes(data)
            carried.append(rel)
    if carried:
        _git(where, "add", "--", *carried)
        message = "cowork: uncommitted changes carried over"
        _git(where, "commit", "--quiet", "--no-verify", "-m", message)
    head = _git(where, "rev-parse", "HEAD").stdout.strip()
    return Worktree(where, branch, head, sparse)


def _patterns(paths: list[str]) -> list[str]:
    """Sparse-checkout patterns naming exactly these files (no wildcards, anchored)."""
    out = ["/.gitignore"]  # a pattern list may not be empty; this one is harmless
    for rel in dict.fromkeys(paths):
        escaped = "".join(f"\\{c}" if c in "*?[]!#\\" else c for c in rel)
        out.append(f"/{escaped}")
    return out


def include(tree: Worktree, paths: list[str]) -> None:
    """Make sure `paths` are checked out in a sparse worktree (no-op for a whole one)."""
    if tree.sparse and paths:
        _git(tree.path, "sparse-checkout", "add", *_patterns(paths)[1:])


def reset(tree: Worktree) -> None:
    """Back to `tree.base`: the edits of an attempt undone before the next one."""
    _git(tree.path, "reset", "--quiet", "--hard", tree.base)
    _git(tree.path, "clean", "--quiet", "-fd")


def diff(tree: Worktree) -> str:
    """The unified diff of the worktree against its base, new files included."""
    _git(tree.path, "add", "--intent-to-add", "--all")
    return _git(tree.path, "diff", "--no-color", "--no-ext-diff", tree.base).stdout


def branch_of(root: Path, task_id: str) -> str | None:
    """The branch the task's worktree is on, if it is there."""
    where = folder(root, task_id)
    if not where.is_dir():
        return None
    result = _git(where, "rev-parse", "--abbrev-ref", "HEAD", check=False)
    return result.stdout.strip() or None if result.returncode == 0 else None


def remove(root: Path, task_id: str) -> bool:
    """Remove the task's worktree and its branch; whether there was one."""
    where = folder(root, task_id)
    branch = branch_of(root, task_id)
    existed = where.exists()
    if existed:
        _git(root, "worktree", "remove", "--force", str(where), check=False)
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(where)
    _git(root, "worktree", "prune", check=False)
    if branch and branch.startswith("cowork/"):
        _git(root, "branch", "--quiet", "-D", branch, check=False)
    return existed


def remove_stale(root: Path, days: int) -> list[str]:
    """Remove worktrees older than `days` (by their folder's last change); their task ids."""
    base = root / ".cowork" / WORKTREES
    if not base.is_dir():
        return []
    cutoff = time.time() - days * 86400
    gone = []
    for entry in sorted(base.iterdir()):
        try:
            old = entry.is_dir() and entry.stat().st_mtime < cutoff
        except OSError:
            continue
        if old and remove(root, entry.name):
            gone.append(entry.name)
    return gone
