"""What the SDK-backed providers share: the client, the retry policy, the read
timeout and the prices."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Generic, Protocol, TypeVar

from cowork.providers import pricing
from cowork.providers.retry import RetryPolicy

# Between two bytes of an answer; a model thinking before its first token is silent
# for a while, but not for minutes. (The requestTimeoutSeconds setting overrides it.)
DEFAULT_READ_TIMEOUT_S = 120.0


class _Client(Protocol):
    async def close(self) -> None: ...


C = TypeVar("C", bound=_Client)


class SDKProvider(Generic[C]):
    """A provider on an official SDK. Given a client (tests, reuse), it uses that one;
    else each call opens its own and closes it, so nothing outlives a task."""

    def __init__(
        self,
        client: C | None = None,
        *,
        policy: RetryPolicy | None = None,
        read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
        prices: Mapping[str, pricing.Price] | None = None,
    ) -> None:
        self._client = client
        self._policy = policy or RetryPolicy()
        self._read_timeout_s = read_timeout_s
        self._prices = prices

    def _new_client(self) -> C:
        raise NotImplementedError

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[C]:
        """The client for one call."""
        client = self._client or self._new_client()
        try:
            yield client
        finally:
            if self._client is None:
                await client.close()
