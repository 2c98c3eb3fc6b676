"""A file's history (the shas of the last commits that touched it, per HEAD) kept in
the index on disk: what `git rev-list HEAD -- PATH` answers never changes for one
HEAD, and over a deep history without a commit-graph it takes seconds, which a
new process (a CLI run, a second worker) would otherwise pay again.

Only commit shas are kept, never messages or authors: those are read again from
git by sha (`--no-walk`, no history walk). Blocking: call off the event loop.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from cowork.context import diskindex

_stores: dict[Path, diskindex.DiskIndex | None] = {}
_lock = threading.Lock()


def _store(root: Path) -> diskindex.DiskIndex | None:
    with _lock:
        if root not in _stores:
            _stores[root] = diskindex.open_for(root)
        return _stores[root]


def _name(head: str, path: str, max_count: int) -> str:
    return f"history:{max_count}:{head}:{path}"


def load(root: Path, head: str, path: str, max_count: int) -> list[str] | None:
    """The shas last recorded for `path` at `head`, newest first; None when unknown."""
    store = _store(root)
    raw = store.blob(_name(head, path, max_count)) if store is not None else None
    if raw is None:
        return None
    try:
        shas = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(shas, list) or not all(
        isinstance(s, str) and len(s) in (40, 64) and s.isalnum() for s in shas
    ):
        return None
    return shas


def save(root: Path, head: str, path: str, max_count: int, shas: list[str]) -> None:
    """Record `path`'s history at `head` (written at once: nobody else flushes it)."""
    store = _store(root)
    if store is None:
        return
    store.put_blob(_name(head, path, max_count), json.dumps(shas).encode())
    store.flush()


def recent(root: Path, head: str, max_count: int, limit: int) -> list[str]:
    """Paths (from the repository's top) whose history at `head` was recorded last."""
    store = _store(root)
    if store is None:
        return []
    prefix = _name(head, "", max_count)
    return [name[len(prefix) :] for name in store.blob_names(prefix, limit)]


def open_now(root: Path) -> None:
    """Open the index's handle now (a worker before its first task), not in a task."""
    store = _store(root)
    if store is not None:
        store.blob(_name("", "", 0))  # a query connects; no such record


def clear() -> None:
    """Forget the open index handles (for benchmarks that imitate a new process)."""
    with _lock:
        _stores.clear()
