"""Whether a task's artifact is stale, from the task database: the files each artifact
was built from are kept there when it is written, and their hashes are remembered by
(mtime, size), so `cowork tasks` reads no artifact and hashes a file only when it
changed since it was last hashed. Blocking (SQLite, file reads): call off the loop.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import yaml

from cowork import artifacts
from cowork.engine.store import Store

# A file modified this recently may change again within its timestamp's granularity:
# its hash is not remembered (as the parse index does with "racy" files).
_RACY_NS = 2_000_000_000


def from_provenance(provenance: dict[str, Any]) -> list[tuple[str, str]]:
    """The (path, sha256) of the files an artifact's provenance lists."""
    files = (provenance.get("context") or {}).get("files") or []
    return [
        (f["path"], str(f.get("sha256") or ""))
        for f in files
        if isinstance(f, dict) and isinstance(f.get("path"), str)
    ]


def task_sources(store: Store, task_id: str, artifact: Path | None) -> list[tuple[str, str]]:
    """The files `task_id`'s artifact was built from. Tasks finished before they were
    recorded have them read from their artifact once, then recorded."""
    known = store.sources(task_id)
    if known is not None:
        return known
    found: list[tuple[str, str]] = []
    if artifact is not None:
        try:
            found = from_provenance(artifacts.read_provenance(artifact))
        except (OSError, ValueError, yaml.YAMLError):
            return []  # gone or damaged: nothing to judge it by, and nothing to record
    store.record_sources(task_id, found)
    return found


def changed(store: Store, root: Path, sources: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`artifacts.changed_since` from the database: (path, "changed" or "gone") for each
    source no longer as it was, hashing only the files whose (mtime, size) moved."""
    known = store.known_hashes([p for p, _ in sources])
    seen: dict[str, tuple[int, int, str]] = {}
    out: list[tuple[str, str]] = []
    for path, sha in sources:
        full = root / path
        try:
            st = os.stat(full)
            if (st.st_mtime_ns, st.st_size) == known.get(path, (-1, -1, ""))[:2]:
                now_sha = known[path][2]
            else:
                started = time.time_ns()
                now_sha = hashlib.sha256(full.read_bytes()).hexdigest()
                if st.st_mtime_ns < started - _RACY_NS:
                    seen[path] = (st.st_mtime_ns, st.st_size, now_sha)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            out.append((path, "gone"))
            continue
        except OSError:
            continue  # unreadable now: not evidence either way
        if now_sha != sha:
            out.append((path, "changed"))
    if seen:
        store.remember_hashes(seen)
    return out


def record(store: Store, root: Path, task_id: str, found: list[tuple[str, str]]) -> str:
    """Keep `found`, the (path, sha256) of the files `task_id`'s artifact was just
    built from; why it is stale already ("" when it is not)."""
    store.record_sources(task_id, found)
    return artifacts.staleness(changed(store, root, found), len(found))


def stale(store: Store, root: Path, task_id: str, artifact: Path | None) -> str:
    """Why `task_id`'s artifact is stale, in a sentence ("" when it is not)."""
    sources = task_sources(store, task_id, artifact)
    return artifacts.staleness(changed(store, root, sources), len(sources))
