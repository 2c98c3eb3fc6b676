"""When and how long to wait before trying a model request again.

One policy for every provider: exponential backoff with full jitter, the
server's `retry-after` honoured, bounded both in attempts and in total time.
What retrying cannot fix (a bad key, a refused request, a spend cap) fails at
once. The SDKs' own retries are turned off so that this is the only policy.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # in all, the first included
    base_s: float = 0.5  # the first backoff's upper bound; doubles each time
    cap_s: float = 30.0  # no single backoff is longer
    total_s: float = 300.0  # no retry starts later than this after the first attempt
    longest_retry_after_s: float = 120.0  # a server asking for longer is not waited for


@dataclass(frozen=True)
class Verdict:
    """What to do about one failed attempt."""

    retry: bool
    why: str  # for the progress message and, when it is the last, the failure
    retry_after_s: float | None = None  # what the server asked for


class RetriesExhausted(Exception):
    """The last failure, after the policy gave up; `verdict.why` says what it was."""

    def __init__(self, verdict: Verdict, attempts: int) -> None:
        super().__init__(verdict.why)
        self.verdict = verdict
        self.attempts = attempts

    @property
    def reason(self) -> str:
        """What failed, and after how many attempts when there was more than one."""
        tries = f" (after {self.attempts} attempts)" if self.attempts > 1 else ""
        return self.verdict.why + tries


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked to wait (`retry-after-ms`, `retry-after` as seconds
    or an HTTP date), or None when it did not ask."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff(policy: RetryPolicy, retry: int, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**retry)] for the `retry`-th retry
    (0-based), so many clients hit by one outage do not come back in step."""
    return rng.uniform(0, min(policy.cap_s, policy.base_s * 2**retry))


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    judge: Callable[[BaseException], Verdict | None],
    on_retry: Callable[[int, int, float, str], None],
    policy: RetryPolicy = RetryPolicy(),
    rng: random.Random | None = None,
) -> T:
    """Run `attempt` until it succeeds, `judge` says a failure is final (its verdict
    has retry=False, or it returns None: not a model failure, re-raised as is), or
    the policy runs out. Raises RetriesExhausted with the last verdict otherwise.
    `on_retry(next_attempt, attempts, wait_s, why)` is told before each wait."""
    rng = rng or random.Random()
    began = time.monotonic()
    for n in range(1, policy.attempts + 1):
        try:
            return await attempt()
        except Exception as exc:
            verdict = judge(exc)
            if verdict is None:
                raise
            if not verdict.retry or n == policy.attempts:
                raise RetriesExhausted(verdict, n) from exc
            asked = verdict.retry_after_s
            if asked is not None and asked > policy.longest_retry_after_s:
                raise RetriesExhausted(
                    Verdict(False, f"{verdict.why}; the server asked to wait {asked:.0f} s"), n
                ) from exc
            wait = asked if asked is not None else backoff(policy, n - 1, rng)
            if time.monotonic() - began + wait > policy.total_s:
                raise RetriesExhausted(verdict, n) from exc
            on_retry(n + 1, policy.attempts, wait, verdict.why)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")
