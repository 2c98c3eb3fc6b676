"""Whether the workspace map goes first in a prompt as its cached prefix: a cost model.

The map (kinds/workspace_map.py) is the same bytes in every task of a workspace,
so from the second request that carries it after the same system prompt (a
kind's own: tasks of two kinds never share a prefix), it is read from the prompt
cache at a tenth of the input price. The request that writes it pays 1.25x (2x
with the 1-hour TTL of batches). The map is sent only when

(a) the prefix (system prompt and map) is at least the model's minimum cacheable
    length (below it nothing is cached, silently: pricing.min_cacheable);
(b) it never displaces the task's own context: that is packed first, and the map
    is sent whole only into the room that is left;
(c) it pays, judged against the task's cheapest alternative:
    - a map the task sends anyway (research, a change with no files named: it is
      their outline) is cached when reuse is expected: the same prefix was sent
      within the lifetime (read), or another task of the same kind is waiting or
      was sent within the lifetime (write: 0.25x more now, 0.9x saved per read);
    - a map the task does not need costs more than the task without it even when
      read (0.1x the map), so it rides along only as a cheap overview: read when
      cached and it adds at most ALLOWANCE to the task's input; written only for
      tasks of the same kind already waiting to read it, when the write and their
      reads together add at most ALLOWANCE to each task's input. A task with no
      such reader waiting never writes it, whatever was sent before.

Otherwise the task's own context goes alone: no map, no cache breakpoint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cowork.context.budget import Piece
from cowork.kinds.answer import GENERIC_PROMPT
from cowork.providers import pricing

# How long a cached prefix lives after its last use: the default TTL, and batches'.
TTL_S = 300.0
BATCH_TTL_S = 3600.0
# A low token count for the minimum-length check: Claude's tokenizer averages 3 to 4
# characters per token on code and English, and a prefix the count wrongly puts over
# the minimum is sent and never cached. (The budget's estimate errs the other way.)
LOW_CHARS_PER_TOKEN = 4.0
# What a map the task does not need may add to its input cost: an overview is worth a
# little, never a bill several times the task's own (a 25,000-token map next to a
# 4,000-token module summary).
ALLOWANCE = 0.10


@dataclass(frozen=True)
class Outlook:
    """What the engine knows, as a task is about to be sent, of the reuse of the map
    it would send (a map is identified by the hash of its bytes: `key`)."""

    provider: str
    model: str
    # Other tasks of the workspace not sent yet (queued, or gathering): they will send
    # the same map unless the workspace changes meanwhile.
    others: int = 0
    # Seconds since a request carried this very prefix, while its cache entry lives.
    cached_s: float | None = None
    # Seconds since another task of the workspace with this map was sent (with or
    # without the prefix): a burst of tasks is under way.
    seen_s: float | None = None
    batch: bool = False
    input_price: float | None = None  # USD per million input tokens; None: not known
    # The system prompt before the map: the kind's own, so part of the prefix's identity
    # (tasks of one kind share a cached prefix, tasks of two kinds do not).
    system: str = GENERIC_PROMPT
    kind: str = "task"  # the task's kind, for the reasons given

    @property
    def ttl_s(self) -> float:
        return BATCH_TTL_S if self.batch else TTL_S


@dataclass(frozen=True)
class PrefixPlan:
    """The decision, as provenance records it."""

    sent: bool
    tokens: int  # the map's tokens (the budget's estimate); 0 without a map
    reason: str
    # Against the task's cheapest alternative: for a map in its context anyway, sending
    # it uncached; for a map it does not need, not sending it (so negative when sent).
    expected_saving_usd: float = 0.0
    cache: str | None = None  # "write" or "read" when sent
    key: str | None = None  # the prefix's hash
    # The map is part of the task's own context (a kind that needs it): when not the
    # prefix, it is sent uncached with the rest.
    in_context: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sent": self.sent,
            "tokens": self.tokens,
            "reason": self.reason,
            "expectedSavingUsd": round(self.expected_saving_usd, 6),
        }
        if self.cache:
            out["cache"] = self.cache
        if self.in_context and not self.sent:
            out["inContext"] = True
        return out


def key(shared: Piece, render: Callable[[Piece], str], system: str = GENERIC_PROMPT) -> str:
    """The identity of the prefix `shared` makes after `system`: the hash of its bytes."""
    return hashlib.sha256(f"{system}\0{render(shared)}".encode()).hexdigest()[:16]


def _ago(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _share(extra: float, own: int) -> str:
    return f"{extra / own:.0%}" if own > 0 else "all"


def decide(
    tokens: int, low_tokens: int, room: int | None, outlook: Outlook, own: int = 0
) -> PrefixPlan:
    """The decision for a map of `tokens` (budget estimate; `low_tokens`, the prefix's
    low count with the system prompt) with `room` tokens left by the task's own
    context (None: the map is part of that context already), for a task whose own
    input (context, system prompt and brief) is `own` tokens."""
    minimum = pricing.min_cacheable(outlook.model)
    if outlook.provider == "offline":
        return PrefixPlan(False, tokens, "the offline provider sends nothing to a model")
    if low_tokens < minimum:
        return PrefixPlan(
            False,
            tokens,
            f"below the minimum cacheable prefix of {outlook.model} "
            f"(~{low_tokens:,} < {minimum:,} tokens): it would not be cached",
        )
    if room is not None and tokens > room:
        return PrefixPlan(
            False,
            tokens,
            f"no room: the task's own context leaves {max(room, 0):,} tokens of the "
            f"budget and the map needs {tokens:,}",
        )
    if room is None:
        return _in_context(tokens, outlook)
    return _optional(tokens, outlook, own)


def _unit(outlook: Outlook) -> float:
    return (outlook.input_price or 0.0) / 1e6 * (pricing.BATCH if outlook.batch else 1.0)


def _write_factor(outlook: Outlook) -> float:
    return pricing.CACHE_WRITE["1h" if outlook.batch else "5m"]


def _cached(outlook: Outlook) -> bool:
    return outlook.cached_s is not None and outlook.cached_s < outlook.ttl_s


def _in_context(tokens: int, outlook: Outlook) -> PrefixPlan:
    """A map the task sends anyway (its outline): caching it costs a write premium
    and saves 0.9x per later read, against sending it uncached."""
    read_saving = tokens * _unit(outlook) * (1 - pricing.CACHE_READ)
    if _cached(outlook):
        assert outlook.cached_s is not None
        return PrefixPlan(
            True,
            tokens,
            f"read from the cache: the same prefix was sent {_ago(outlook.cached_s)} ago",
            read_saving,
            "read",
        )
    if outlook.others:
        reuses = outlook.others
        why = f"{outlook.others} other {outlook.kind} task(s) of this workspace waiting to be sent"
    elif outlook.seen_s is not None and outlook.seen_s < outlook.ttl_s:
        # Two tasks that need the map within minutes: a third is likely, and a write
        # pays for itself from a 28% chance of one read (0.25x against 0.9x).
        reuses = 1
        why = f"another {outlook.kind} task of this workspace was sent {_ago(outlook.seen_s)} ago"
    else:
        return PrefixPlan(
            False,
            tokens,
            f"a lone task: no other {outlook.kind} task of this workspace is waiting, "
            f"and none was sent in the last {_ago(outlook.ttl_s)}",
        )
    premium = _write_factor(outlook) - 1
    saving = reuses * read_saving - tokens * _unit(outlook) * premium
    if outlook.input_price is not None and saving <= 0:
        return PrefixPlan(
            False,
            tokens,
            f"would not pay: the cache write ({premium + 1:g}x) costs more than "
            f"{reuses} expected read(s) save ({why})",
            saving,
        )
    return PrefixPlan(True, tokens, f"written for reuse: {why}", saving, "write")


def _optional(tokens: int, outlook: Outlook, own: int) -> PrefixPlan:
    """A map the task does not need: against the task without it, a read adds 0.1x
    the map and a write 1.25x (2x for batches), so it rides along only as a cheap
    overview: at most ALLOWANCE of the input of the tasks that share it."""
    unit = _unit(outlook)
    allowance = ALLOWANCE * own
    if _cached(outlook):
        assert outlook.cached_s is not None
        extra = pricing.CACHE_READ * tokens
        ago = _ago(outlook.cached_s)
        if extra <= allowance:
            return PrefixPlan(
                True,
                tokens,
                f"read from the cache: the same prefix was sent {ago} ago; the map adds "
                f"{_share(extra, own)} to this task's input",
                -extra * unit,
                "read",
            )
        return PrefixPlan(
            False,
            tokens,
            f"too large for this task: the map was cached {ago} ago, but even read from "
            f"the cache it would add {_share(extra, own)} to this task's input "
            f"(an overview the task does not need may add {ALLOWANCE:.0%})",
        )
    readers = outlook.others
    if not readers:
        return PrefixPlan(
            False,
            tokens,
            f"a lone task: no other {outlook.kind} task of this workspace is waiting to "
            "read the map (a cached prefix serves only tasks of the same kind: its "
            "system prompt comes first)",
        )
    # Shared by this task and its readers, assumed of about this task's size.
    extra = (_write_factor(outlook) + pricing.CACHE_READ * readers) * tokens / (1 + readers)
    why = f"{readers} other {outlook.kind} task(s) of this workspace waiting to read it"
    if extra > allowance:
        return PrefixPlan(
            False,
            tokens,
            f"would not pay: writing the map and {readers} read(s) would add "
            f"{_share(extra, own)} to each task's input, more than the {ALLOWANCE:.0%} "
            f"an overview the task does not need may add ({why})",
        )
    added = (_write_factor(outlook) * tokens) * unit
    return PrefixPlan(
        True,
        tokens,
        f"written for reuse: {why}; the map adds {_share(extra, own)} to each task's input",
        -added,
        "write",
    )
