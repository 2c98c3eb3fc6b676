"""The workspace map: the stable prefix a prompt in a workspace may start with.

Every task in one workspace offers the same map (after the system prompt), so
with prompt caching a task that sends it after another reads it from the cache
at a tenth of the price; whether a task sends it is the cost model's decision
(kinds/prefix_plan.py). It must therefore not depend on the task: it is built
from the workspace alone and sized against the budget alone, at the most
detailed level of a few that fits its share of the budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from cowork.context.budget import LocalEstimator, Piece
from cowork.context.index import FileFacts
from cowork.context.reader import ContextReader
from cowork.kinds import mapdisk
from cowork.kinds.base import MAP
from cowork.kinds.summarize import public, workspace_overview

TITLE = "Workspace map"
# At most this share of the context budget goes to the map, so that the task's own
# context keeps the rest; from the second task on it is the cached majority of a prompt.
SHARE = 0.6


@dataclass(frozen=True)
class _Memo:
    hashes: tuple[object, ...]  # budget, HEAD, every file's content hash: the quick check
    inputs: tuple[object, ...]  # budget, HEAD, every file and its names: what the map shows
    piece: Piece
    source: object  # the reader's `all_facts` list it was made from


def map_piece(reader: ContextReader, budget: int, share: float = SHARE) -> Piece:
    """The map for `reader`'s workspace within `budget * share` tokens (local estimate).
    Kept on the workspace index: reused at once while no file's content and HEAD
    changed, and after a change that left every file's public names as they were."""
    source = reader.all_facts
    head = reader.git.describe()
    # One map per size (the usual share, and the small one of large changes): a review
    # between two summaries does not throw the other's away.
    if not isinstance(reader.index.map_cache, dict):
        reader.index.map_cache = {}
    memos: dict[int, _Memo] = reader.index.map_cache
    limit = int(budget * share)
    memo = memos.get(limit)
    if memo is not None and memo.source is source and memo.hashes[:2] == (limit, head):
        return memo.piece  # the very facts of last time: nothing changed
    files = [rel for rel, _ in source]
    facts = [f for _, f in source]
    hashes = (
        limit,
        head,
        tuple(f.sha256 if f else rel for rel, f in zip(files, facts, strict=True)),
    )
    if memo is not None and memo.hashes == hashes:
        memos[limit] = replace(memo, source=source)
        return memo.piece
    kept = None
    if memo is None:
        # A new process: the map a process last kept on disk, and the names it shows.
        kept = mapdisk.load(reader.index.store, limit, head, files, hashes[2])
        if isinstance(kept, str):
            piece = Piece(TITLE, kept, MAP, stable=True)  # as `_build` makes it
            memos[limit] = _Memo(hashes, (), piece, source)
            return piece
    reused = kept if isinstance(kept, dict) else {}
    names = [
        _names(f) if f is None or (n := reused.get((rel, f.sha256))) is None else n
        for rel, f in zip(files, facts, strict=True)
    ]
    inputs = (limit, head, tuple(files), tuple(names))
    if memo is not None and memo.inputs == inputs:
        piece = memo.piece  # bodies changed, not what the map lists
    else:
        piece = _build(reader, files, names, limit)
    if memo is None:
        mapdisk.save(reader.index.store, limit, head, files, hashes[2], names, piece)
    if len(memos) >= 4 and limit not in memos:
        memos.pop(next(iter(memos)))  # a budget changed: the oldest size goes
    memos[limit] = _Memo(hashes, inputs, piece, source)
    return piece


def _names(f: FileFacts | None) -> tuple[str, ...]:
    """The first public names of a file, as the map lists them."""
    return tuple(d.name for d in public(f))[:8] if f is not None and f.language else ()


def _build(
    reader: ContextReader, files: list[str], names: list[tuple[str, ...]], limit: int
) -> Piece:
    overview = workspace_overview(files, reader.git)
    head = (
        "Every file of the workspace a model may see, with its first public names "
        "(or less detail, when the workspace is large).\n\n" + overview
    )

    def by_file(per_file: int) -> list[str]:
        return [
            f"{rel}: {', '.join(n[:per_file])}" if n[:per_file] else rel
            for rel, n in zip(files, names, strict=True)
        ]

    def folders() -> list[str]:
        counts: dict[str, int] = {}
        for rel in files:
            parts = rel.split("/")[:-1][:2]
            folder = "/".join(parts) + "/" if parts else "(top level)"
            counts[folder] = counts.get(folder, 0) + 1
        return [f"{folder}  ({n} files)" for folder, n in sorted(counts.items())]

    estimator = LocalEstimator()
    room = limit * estimator.ascii_chars_per_token  # characters, for a cheap first look
    levels: list[Callable[[], list[str]]] = [
        lambda: by_file(8),
        lambda: by_file(3),
        lambda: by_file(0),
        folders,
    ]
    for level in levels:
        lines = level()
        if len(head) + sum(len(line) + 1 for line in lines) > room:
            continue  # over even if every character were ASCII: not worth building
        text = head + "\n\n" + "\n".join(lines)
        if estimator.count(text) <= limit:
            return Piece(TITLE, text, MAP, stable=True)
    # Not even the folder list fits: the one-line summary of the workspace.
    return Piece(TITLE, overview.splitlines()[0], MAP, stable=True)
