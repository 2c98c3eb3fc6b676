"""List prices per million tokens, by model family, and the cost of a usage record.

Families, not exact names, so a new dated snapshot of a known family is
priced without a release. Cache writes cost 1.25× input with the 5-minute
TTL, 2× with the 1-hour TTL; cache reads 0.1×; the batch API halves everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cowork.providers.usage import Usage

CacheTTL = Literal["5m", "1h"]

# What writing a token to the prompt cache costs, as a multiple of the input price, by TTL.
CACHE_WRITE: dict[str, float] = {"5m": 1.25, "1h": 2.0}
CACHE_READ = 0.1
BATCH = 0.5


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


# The shortest prefix (tools + system + messages up to a breakpoint) the API caches, by
# model-name prefix, most specific first; a shorter one is sent uncached, silently.
# From Anthropic's prompt-caching documentation; other Claude models: 1,024.
MIN_CACHEABLE: list[tuple[str, int]] = [
    ("claude-opus-4-5", 4096),
    ("claude-opus-4-6", 4096),
    ("claude-opus-4-7", 4096),
    ("claude-haiku-4-5", 4096),
    ("claude-sonnet-4-6", 2048),
    ("claude-3-5-haiku", 2048),
    ("claude-3-haiku", 2048),
    ("claude-haiku-3", 2048),
]
DEFAULT_MIN_CACHEABLE = 1024


def min_cacheable(model: str) -> int:
    """The minimum cacheable prefix length of `model`, in tokens."""
    for prefix, tokens in MIN_CACHEABLE:
        if model.startswith(prefix):
            return tokens
    return DEFAULT_MIN_CACHEABLE


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
    cache_ttl: CacheTTL = "5m",
    overrides: Mapping[str, Price] | None = None,
) -> float:
    """USD for `usage` on `model`; 0.0 for a model with no known price (local models).

    `cache_ttl` is the TTL of the request's cache breakpoints (cowork sets one TTL
    per request); `batch` for a request answered through the batch API."""
    price = price_for(model, overrides)
    if price is None:
        return 0.0
    dollars = (
        usage.input_tokens * price.input
        + usage.cache_write_tokens * price.input * CACHE_WRITE[cache_ttl]
        + usage.cache_read_tokens * price.input * CACHE_READ
        + usage.output_tokens * price.output
    ) / 1_000_000
    return dollars * (BATCH if batch else 1.0)
