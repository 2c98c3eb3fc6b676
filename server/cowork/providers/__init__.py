"""Model providers. `create` picks one from the settings."""

from __future__ import annotations

from cowork.config import Settings
from cowork.errors import TaskFailure
from cowork.providers.base import Provider
from cowork.providers.offline import OfflineProvider


def create(settings: Settings) -> Provider:
    """The provider the settings name (`auto` resolved against the environment)."""
    name = settings.resolved_provider()
    if name == "offline":
        return OfflineProvider(delay_seconds=settings.offline_delay_ms / 1000)
    # The anthropic and openai providers arrive with the providers issue; until
    # then say so plainly rather than pretending.
    raise TaskFailure(
        f"the {name!r} provider is not available in this version of cowork; "
        "set cowork.provider to 'offline'"
    )
