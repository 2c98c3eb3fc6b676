"""The last review or docs gathering of a workspace, kept for an identical next one.

A warm review of a branch nobody touched asks the same questions again: the
same commits, the same files, the same facts. When the base and head commits,
the parameters, the budget and every file of the workspace (by the reader's
facts list, which is the very same list while nothing changed) are as last
time, and no unsaved buffer or work tree is involved, the result and its
provenance are reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cowork.context.privacy import Redaction
from cowork.context.reader import FileRef
from cowork.kinds.base import Collected, ContextReader, GatherRequest


@dataclass(frozen=True)
class GatherMemo:
    key: tuple[Any, ...]
    facts: object  # the reader's `all_facts` list: compared by identity, kept alive here
    collected: Collected
    files: dict[str, FileRef]
    excluded: dict[str, str]
    redacted: dict[str, list[Redaction]]
    notes: list[str]

    def restore(self, reader: ContextReader) -> Collected:
        """The kept result, with the provenance its gathering recorded."""
        reader.files.update(self.files)
        for path, why in self.excluded.items():
            reader.excluded.setdefault(path, why)
        for path, found in self.redacted.items():
            reader.redacted.setdefault(path, found)
        reader.notes.extend(n for n in self.notes if n not in reader.notes)
        return self.collected


def memo_key(
    kind: str, request: GatherRequest, reader: ContextReader, base: str, head: str
) -> tuple[Any, ...] | None:
    """What a gathering's result depends on, or None when it may not be reused."""
    params = request.params
    if params.get("uncommitted") or params.get("notes") or request.overlays:
        return None
    return (
        kind,
        repr(sorted(params.items())),
        request.settings.context_budget_tokens,
        request.reserved_tokens,
        request.settings.exclude,
        request.settings.generated,
        base,
        head,
    )


def lookup(reader: ContextReader, key: tuple[Any, ...] | None) -> GatherMemo | None:
    memo = reader.index.changes_cache
    if key is None or not isinstance(memo, GatherMemo) or memo.key != key:
        return None
    return memo if memo.facts is reader.all_facts else None


def keep(reader: ContextReader, key: tuple[Any, ...] | None, collected: Collected) -> None:
    if key is None:
        return
    reader.index.changes_cache = GatherMemo(
        key,
        reader.all_facts,
        collected,
        dict(reader.files),
        dict(reader.excluded),
        {k: list(v) for k, v in reader.redacted.items()},
        list(reader.notes),
    )


def remember(reader: ContextReader, memo: GatherMemo) -> None:
    """Keep `memo` (found in memory or restored from disk) for the next gathering."""
    reader.index.changes_cache = memo
