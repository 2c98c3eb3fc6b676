"""A hard token budget: pieces are taken in priority order, large ones shrink to
their outline before they are dropped, and everything cut is recorded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from cowork.errors import TaskFailure


class TokenEstimator(Protocol):
    def count(self, text: str) -> int:
        """Tokens `text` will take; may over-estimate, must not under-estimate."""
        ...


class LocalEstimator:
    """A calibrated local estimate that errs high, so the hard limit holds.

    Claude's tokenizer averages about 3.5–4 characters per token on English
    and 3–3.5 on source code; three ASCII characters per token stays above
    both. Other characters (CJK, emoji, accents) can be a token each or more.
    """

    ascii_chars_per_token = 3.0

    def count(self, text: str) -> int:
        ascii_chars = len(text.encode("ascii", "ignore"))
        other = len(text) - ascii_chars
        return int(ascii_chars / self.ascii_chars_per_token + 0.999) + 2 * other


class ScaledEstimator:
    """Another estimator scaled by a measured ratio, e.g. a provider's real count over
    the local estimate of the same prompt. Rounds up, so it still errs high."""

    def __init__(self, base: TokenEstimator, factor: float) -> None:
        self.base = base
        self.factor = factor

    def count(self, text: str) -> int:
        return int(self.base.count(text) * self.factor + 0.999)


@dataclass(frozen=True)
class Piece:
    """One candidate for the context.

    `priority` orders what is taken first (lower first); the output keeps
    the given order. `outline` is a smaller stand-in used when the whole does
    not fit. A `required` piece is the point of the task (the module to
    summarise): without it the rest is noise, so when not even its outline
    fits, packing fails instead of sending the rest.
    """

    title: str
    text: str
    priority: int
    stable: bool = False
    source: str | None = None
    outline: str | None = None
    required: bool = False


@dataclass(frozen=True)
class Cut:
    title: str
    source: str | None
    tokens: int  # what the whole piece would have cost
    action: str  # "shrunk to its outline" | "dropped"

    def reason(self, budget: int) -> str:
        return f"{self.action}: over the {budget:,}-token context budget ({self.tokens:,} tokens)"


@dataclass
class Packed:
    pieces: list[Piece]
    cuts: list[Cut]
    tokens: int
    budget: int


def pack(
    pieces: Sequence[Piece],
    budget: int,
    estimator: TokenEstimator,
    *,
    reserved: int = 0,
    render: Callable[[Piece], str] = lambda p: p.text,
) -> Packed:
    """Keep what fits in `budget - reserved` tokens, measured on `render(piece)`.

    `reserved` covers what is sent around the context (system prompt, brief).
    Raises TaskFailure when a required piece does not fit even as its outline.
    """
    room = budget - reserved
    taken: dict[int, Piece] = {}
    cuts: list[Cut] = []
    used = 0
    for index in sorted(range(len(pieces)), key=lambda i: (pieces[i].priority, i)):
        piece = pieces[index]
        cost = estimator.count(render(piece))
        if used + cost <= room:
            taken[index] = piece
            used += cost
            continue
        small_cost = None
        if piece.outline:
            small = replace(
                piece, text=piece.outline, title=f"{piece.title} (outline only)", outline=None
            )
            small_cost = estimator.count(render(small))
            if used + small_cost <= room:
                taken[index] = small
                used += small_cost
                cuts.append(Cut(piece.title, piece.source, cost, "shrunk to its outline"))
                continue
        if piece.required:
            raise TaskFailure(_too_big(piece, small_cost or cost, room - used, budget))
        cuts.append(Cut(piece.title, piece.source, cost, "dropped"))
    return Packed([taken[i] for i in sorted(taken)], cuts, used + reserved, budget)


def _too_big(piece: Piece, cost: int, room: int, budget: int) -> str:
    """Why a required piece cannot be sent, and what to do about it."""
    shown = piece.source or piece.title
    form = " even as an outline" if piece.outline else ""
    return (
        f"{shown} does not fit the {budget:,}-token context budget{form}: it needs "
        f"~{cost:,} tokens and {max(room, 0):,} are left after the brief. "
        "Raise cowork.contextBudgetTokens or narrow the task."
    )
