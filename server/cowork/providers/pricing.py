"""List prices per million tokens, by model family, and the cost of a usage record.

Families, not exact names, so a new dated snapshot of a known family is
priced without a release. Cache writes cost 1.25× input (5-minute TTL),
cache reads 0.1×; the batch API halves everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cowork.engine.model import Usage


@dataclass(frozen=True)
class Price:
    input: float  # USD per million input tokens
    output: float  # USD per million output tokens


# (name prefix, price), most specific first.
PRICES: list[tuple[str, Price]] = [
    ("claude-opus-4-1", Price(15.0, 75.0)),
    ("claude-opus-4-0", Price(15.0, 75.0)),
    ("claude-opus", Price(5.0, 25.0)),
    ("claude-sonnet", Price(3.0, 15.0)),
    ("claude-haiku", Price(1.0, 5.0)),
]


def price_for(model: str, overrides: Mapping[str, Price] | None = None) -> Price | None:
    """The price of `model`: the longest matching prefix among the `prices` setting's
    entries, else the built-in table."""
    for prefix in sorted(overrides or {}, key=len, reverse=True):
        if model.startswith(prefix):
            return (overrides or {})[prefix]
    for prefix, price in PRICES:
        if model.startswith(prefix):
            return price
    return None


def cost(
    model: str,
    usage: Usage,
    *,
    batch: bool = False,
    overrides: Mapping[str, Price] | None = None,
) -> float:
    """USD for `usage` on `model`; 0.0 for a model with no known price (local models)."""
    price = price_for(model, overrides)
    if price is None:
        return 0.0
    dollars = (
        usage.input_tokens * price.input
        + usage.cache_write_tokens * price.input * 1.25
        + usage.cache_read_tokens * price.input * 0.1
        + usage.output_tokens * price.output
    ) / 1_000_000
    return dollars * (0.5 if batch else 1.0)
