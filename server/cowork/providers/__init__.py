"""Model providers. `create` picks one from the settings."""

from __future__ import annotations

import os

from cowork.config import Settings
from cowork.errors import TaskFailure
from cowork.providers.base import Provider
from cowork.providers.offline import OfflineProvider
from cowork.providers.pricing import Price


def prices_of(settings: Settings) -> dict[str, Price]:
    """The `prices` setting as price-table entries."""
    return {prefix: Price(*pair) for prefix, pair in settings.prices.items()}


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

        return AnthropicProvider(
            read_timeout_s=settings.request_timeout_seconds, prices=prices_of(settings)
        )
    if name == "openai":
        if "model" not in settings.sources:
            # The default names a Claude model, which no OpenAI-compatible server has.
            raise TaskFailure(
                "the openai provider needs the local model's name: set cowork.model (or "
                f"COWORK_MODEL) to it, e.g. 'llama3.1:8b' for Ollama (the default, "
                f"{settings.model!r}, is a Claude model)"
            )
        from cowork.providers.openai import OpenAIProvider  # the SDK loads slowly

        return OpenAIProvider(
            read_timeout_s=settings.request_timeout_seconds, prices=prices_of(settings)
        )
    raise TaskFailure(
        f"the {name!r} provider is not available in this version of cowork; "
        "set cowork.provider to 'offline'"
    )
