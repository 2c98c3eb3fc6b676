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
from cowork.context.reader import ContextReader
from cowork.kinds.base import MAP
from cowork.kinds.summarize import public, workspace_overview

TITLE = "Workspace map"
# At most this share of the context budget goes to the map, so that the task's own
# context keeps the rest; from the second task on it is the cached majority of a prompt.
SHARE = 0.6


def map_piece(reader: ContextReader, budget: int) -> Piece:
    """The map for `reader`'s workspace within `budget * SHARE` tokens (local estimate)."""
    files = reader.inventory
    head = (
        "Every file of the workspace a model may see, with its first public names "
        "(or less detail, when the workspace is large).\n\n" + workspace_overview(files, reader.git)
    )
    limit = int(budget * SHARE)
    estimator = LocalEstimator()
    entries = [(rel, reader.facts(rel)) for rel in files]

    def by_file(per_file: int) -> Callable[[], list[str]]:
        def lines() -> list[str]:
            out = []
            for rel, facts in entries:
                names = (
                    [d.name for d in public(facts)][:per_file] if facts and facts.language else []
                )
                out.append(f"{rel}: {', '.join(names)}" if names else rel)
            return out

        return lines

    def folders() -> list[str]:
        counts: dict[str, int] = {}
        for rel in files:
            parts = rel.split("/")[:-1][:2]
            key = "/".join(parts) + "/" if parts else "(top level)"
            counts[key] = counts.get(key, 0) + 1
        return [f"{folder}  ({n} files)" for folder, n in sorted(counts.items())]

    for level in (by_file(8), by_file(3), by_file(0), folders):
        text = head + "\n\n" + "\n".join(level())
        if estimator.count(text) <= limit:
            return Piece(TITLE, text, MAP, stable=True)
    # Not even the folder list fits: the one-line summary of the workspace.
    overview = workspace_overview(files, reader.git)
    return Piece(TITLE, overview.splitlines()[0], MAP, stable=True)
