"""What a worker the pool starts does, besides restoring the whole-workspace records,
so that its first task is as warm as a later one (`warm`); chiefly, the last
summary of the workspace gathered again.

A worker primed from the whole-workspace records still meets its first summary
cold in everything that is kept per file in memory: the outlines of the module's
neighbours and importers, their words, the redaction of their texts, the
wiring scan. The files a user asks about next are mostly those asked about
last, so the server's new workers gather the last summary again (in the
background, before any task reaches them; the result is dropped), and its
neighbourhood is warm for the first real one. Only the task's parameters are
kept (the module's path and URI), never anything of its content.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path

from cowork.config import Settings
from cowork.context import git as gitfacts
from cowork.context import historydisk
from cowork.context.diskindex import DiskIndex
from cowork.context.reader import ContextReader
from cowork.kinds import change_disk
from cowork.kinds.base import GatherRequest

VERSION = 1
HISTORIES = 8  # file histories a primed worker reads before its first task
REPLAYED = ("summarize",)  # review and docs restore their last gathering whole instead
replayed: list[str] = []  # kinds this process gathered again (tests read it)


def _name(kind: str) -> str:
    return f"recent:{kind}"


def remember(store: DiskIndex | None, kind: str, request: GatherRequest) -> None:
    """Record `request`'s parameters as `kind`'s last gathering (written at the next
    flush); not with unsaved buffers, which a replay would not have."""
    if store is None or kind not in REPLAYED or request.overlays:
        return
    try:
        data = json.dumps({"v": VERSION, "params": request.params}, sort_keys=True)
    except (TypeError, ValueError):
        return
    store.put_blob(_name(kind), data.encode("utf-8", "surrogatepass"))


def replay(
    store: DiskIndex | None,
    root: Path,
    settings: Settings,
    gather: Callable[[str, GatherRequest], object],
) -> list[str]:
    """Gather each recorded kind's last gathering again with `gather`; the kinds done.
    A record that does not read back, or a gathering that fails (the module gone),
    is passed over: the next task of that kind says what is wrong."""
    done: list[str] = []
    for kind in REPLAYED:
        raw = store.blob(_name(kind)) if store is not None else None
        if raw is None:
            continue
        with contextlib.suppress(Exception):
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("v") != VERSION:
                continue
            params = data["params"]
            if not isinstance(params, dict):
                continue
            gather(kind, GatherRequest(root, params, settings))
            done.append(kind)
    replayed.extend(done)
    return done


def warm(
    reader: ContextReader, settings: Settings, gather: Callable[[str, GatherRequest], object]
) -> None:
    """Before a worker's first task: what the last tasks of the workspace asked for,
    asked again in this process (`gather` runs a kind's gathering)."""
    root = reader.root
    historydisk.open_now(root)
    # Which files are tests: asked of every file by every summary, remembered per process.
    from cowork.kinds.summarize import HISTORY_COMMITS, is_test_file

    for rel in reader.inventory:
        is_test_file(rel)
    # The histories summaries asked for last at this HEAD (their shas are on disk: one
    # `git rev-list --no-walk` each, remembered here, never a walk of the history).
    head = reader.git.head
    if head is not None:
        listed = set(reader.inventory)
        for path in historydisk.recent(root, head, HISTORY_COMMITS, HISTORIES):
            if path in listed:
                gitfacts.file_history(root, path, HISTORY_COMMITS)
    # The last review and docs gatherings, and git's answers for their change sets.
    change_disk.prime(reader, lambda base: gitfacts.changes(root, base))
    # The last summary gathered again: its module's neighbourhood warm in this process.
    replay(reader.index.store, root, settings, gather)
