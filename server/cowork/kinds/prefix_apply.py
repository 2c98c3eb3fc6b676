"""The cost model's decision (kinds/prefix_plan.py) applied to a gathering: the
workspace map placed first in the prompt as its cached prefix, or left out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from cowork.context.budget import Piece, TokenEstimator
from cowork.kinds.base import Gathered
from cowork.kinds.prefix_plan import LOW_CHARS_PER_TOKEN, decide, key


def apply(
    gathered: Gathered, estimator: TokenEstimator, render: Callable[[Piece], str]
) -> Gathered:
    """`gathered` (its task context just packed) with the map placed first as its
    cached prefix, or not, by `decide`; a no-op until the engine gave an outlook."""
    shared, outlook = gathered.shared, gathered.outlook
    if shared is None or outlook is None:
        return replace(gathered, prefix=None)
    parts, tokens = _task_only(gathered)
    at = next((i for i, p in enumerate(parts) if p.text == shared.text), None)
    cost = estimator.count(render(shared))
    low = int((len(outlook.system) + len(render(shared))) / LOW_CHARS_PER_TOKEN)
    if at is None and any(c.text == shared.text for c in gathered.candidates):
        # A kind that needs the map had it cut by the budget: no room for it at all.
        room: int | None = -1
    else:
        room = None if at is not None else gathered.budget - tokens
    plan = replace(
        decide(cost, low, room, outlook, tokens + gathered.reserved),
        key=key(shared, render, outlook.system),
        in_context=at is not None,
    )
    if plan.sent:
        if at is not None:
            parts[at] = replace(parts[at], stable=True)
        else:
            parts.insert(0, shared)
            tokens += cost
    return replace(gathered, parts=parts, tokens=tokens, prefix=plan)


def _task_only(gathered: Gathered) -> tuple[list[Piece], int]:
    """The parts and tokens of `gathered` without a prefix placed earlier."""
    plan = gathered.prefix
    parts = list(gathered.parts)
    if plan is None or not plan.sent:
        return parts, gathered.tokens
    if plan.in_context:
        return [replace(p, stable=False) if p.stable else p for p in parts], gathered.tokens
    return [p for p in parts if not p.stable], gathered.tokens - plan.tokens
