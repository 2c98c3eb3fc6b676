"""The workspace map: the stable, shared prefix of every prompt in a workspace.

Every task in one workspace sends the same map first (after the system prompt),
so with prompt caching the second task onwards reads it from the cache at a
tenth of the price. It must therefore not depend on the task: it is built from
the workspace alone and sized against the budget alone, at the most detailed
level of a few that fits its share of the budget.
"""

from __future__ import annotations

from collections.abc import Callable

from cowork.context.budget import LocalEstimator, Piece
from cowork.context.index import FileFacts
from cowork.context.reader import ContextReader
from cowork.kinds.base import MAP
from cowork.kinds.summarize import public, workspace_overview

TITLE = "Workspace map"
# At most this share of the context budget goes to the map, so that the task's own
# context keeps the rest; from the second task on it is the cached majority of a prompt.
SHARE = 0.6


def map_piece(reader: ContextReader, budget: int) -> Piece:
    """The map for `reader`'s workspace within `budget * SHARE` tokens (local estimate).
    Kept on the workspace index while the files, their content and HEAD are the same."""
    files = [rel for rel, _ in reader.all_facts]
    facts = [f for _, f in reader.all_facts]
    key = (
        budget,
        reader.git.describe(),
        tuple(f.sha256 if f else rel for rel, f in zip(files, facts, strict=True)),
    )
    cached = reader.index.map_cache
    if isinstance(cached, tuple) and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    piece = _build(reader, files, facts, int(budget * SHARE))
    reader.index.map_cache = (key, piece)
    return piece


def _build(
    reader: ContextReader, files: list[str], facts: list[FileFacts | None], limit: int
) -> Piece:
    overview = workspace_overview(files, reader.git)
    head = (
        "Every file of the workspace a model may see, with its first public names "
        "(or less detail, when the workspace is large).\n\n" + overview
    )
    names = [[d.name for d in public(f)][:8] if f is not None and f.language else [] for f in facts]

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
