"""Model providers. `create` picks one from the settings."""

from __future__ import annotations

import os

from cowork.config import Settings
from cowork.errors import TaskFailure
from cowork.providers.base import Provider
from cowork.providers.offline import OfflineProvider


def create(settings: Settings) -> Provider:
    """The provider the settings name (`auto` resolved against the environment)."""
    name = settings.resolved_provider()
    if name == "offline":
        return OfflineProvider(delay_seconds=settings.offline_delay_ms / 1000)
    if name == "anthropic":
        if not os.environ.get("ANTHROPIC_API_KEY"):
            raise TaskFailure(
                "the anthropic provider needs ANTHROPIC_API_KEY in the server's "
                "environment (or set cowork.provider to 'offline')"
            )
        from cowork.providers.anthropic import AnthropicProvider  # the SDK loads slowly

        return AnthropicProvider(read_timeout_s=settings.request_timeout_seconds)
    # The openai provider arrives with the providers issue; until then say so
    # plainly rather than pretending.
    raise TaskFailure(
        f"the {name!r} provider is not available in this version of cowork; "
        "set cowork.provider to 'offline'"
    )
