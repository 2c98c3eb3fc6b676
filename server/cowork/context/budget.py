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
        # `isascii` is a flag of the string (no scan): most prompts are ASCII throughout.
        ascii_chars = len(text) if text.isascii() else len(text.encode("ascii", "ignore"))
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
    # Smaller forms tried in order before the outline: (what was cut, text), e.g. a diff
    # with its deletion-only hunks as one-line notes, then its hunks far from any code.
    smaller: tuple[tuple[str, str], ...] = ()
    # Pieces of one group (the diffs of a change) are ranked by their order: the smallest
    # form of every lower-ranked one is kept room for before a higher-ranked one takes a
    # larger form, and once one is dropped, all lower-ranked ones are dropped too.
    group: str | None = None


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
    order = sorted(range(len(pieces)), key=lambda i: (pieces[i].priority, i))
    counted: dict[int, list[int]] = {}  # piece index -> cost of each of its forms
    floors = _group_floors(pieces, order, estimator, render, counted)
    dropped_groups: set[str] = set()
    for index in order:
        piece = pieces[index]
        forms = _Forms(piece)
        cost = estimator.count(render(piece))
        if piece.group is not None and piece.group in dropped_groups:
            cuts.append(Cut(piece.title, piece.source, cost, "dropped"))
            continue
        # Room kept for the smallest forms of the group's lower-ranked pieces.
        pending = floors[index][1] if index in floors else 0
        chosen: tuple[Piece, str | None, int] | None = None
        costs: list[int] = []
        known = counted.get(index, [])
        for n in range(len(forms)):
            form, action = forms[n]
            if n < len(known):
                form_cost = known[n]
            elif index in floors and n == len(forms) - 1:
                form_cost = floors[index][0]  # the group's floor: this very form's cost
            else:
                form_cost = cost if n == 0 else estimator.count(render(form))
            costs.append(form_cost)
            last = n == len(forms) - 1
            if used + form_cost + pending <= room or (last and used + form_cost <= room):
                chosen = (form, action, form_cost)
                break
        if chosen is not None:
            form, action, form_cost = chosen
            taken[index] = form
            used += form_cost
            if action is not None:
                cuts.append(Cut(piece.title, piece.source, cost, action))
            continue
        if piece.required:
            raise TaskFailure(_too_big(piece, costs[-1], room - used, budget))
        cuts.append(Cut(piece.title, piece.source, cost, "dropped"))
        if piece.group is not None:
            dropped_groups.add(piece.group)
    return Packed([taken[i] for i in sorted(taken)], cuts, used + reserved, budget)


class _Forms:
    """`piece` whole, then each of its smaller forms, then its outline, with the action
    a cut records for each (None: whole); each form made when asked for (most pieces
    fit whole, and a review weighs hundreds)."""

    def __init__(self, piece: Piece) -> None:
        self.piece = piece
        self._made: dict[int, tuple[Piece, str | None]] = {0: (piece, None)}

    def __len__(self) -> int:
        return 1 + len(self.piece.smaller) + (1 if self.piece.outline else 0)

    def __getitem__(self, n: int) -> tuple[Piece, str | None]:
        n = n % len(self)
        if n not in self._made:
            piece = self.piece
            if n <= len(piece.smaller):
                label, text = piece.smaller[n - 1]
                small = replace(piece, text=text, title=f"{piece.title} ({label})", smaller=())
                self._made[n] = (small, f"shrunk ({label})")
            else:
                assert piece.outline is not None
                small = replace(
                    piece,
                    text=piece.outline,
                    title=f"{piece.title} (outline only)",
                    outline=None,
                    smaller=(),
                )
                self._made[n] = (small, "shrunk to its outline")
        return self._made[n]


def _group_floors(
    pieces: Sequence[Piece],
    order: list[int],
    estimator: TokenEstimator,
    render: Callable[[Piece], str],
    counted: dict[int, list[int]],
) -> dict[int, tuple[int, int]]:
    """For each grouped piece: (its smallest form's cost, the smallest forms' cost of
    the group's pieces ranked after it) -- the room it leaves them. A piece with a
    single form has its cost put in `counted`, not to be counted again."""
    out: dict[int, tuple[int, int]] = {}
    by_group: dict[str, list[int]] = {}
    for i in order:
        group = pieces[i].group
        if group is not None:
            by_group.setdefault(group, []).append(i)
    for members in by_group.values():
        after = 0
        for i in reversed(members):
            forms = _Forms(pieces[i])
            floor = estimator.count(render(forms[-1][0]))
            if len(forms) == 1:
                counted[i] = [floor]
            out[i] = (floor, after)
            after += floor
    return out


def _too_big(piece: Piece, cost: int, room: int, budget: int) -> str:
    """Why a required piece cannot be sent, and what to do about it."""
    shown = piece.source or piece.title
    form = " even as an outline" if piece.outline else ""
    return (
        f"{shown} does not fit the {budget:,}-token context budget{form}: it needs "
        f"~{cost:,} tokens and {max(room, 0):,} are left after the brief. "
        "Raise cowork.contextBudgetTokens or narrow the task."
    )
