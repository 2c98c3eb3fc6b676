"""Settings from initializationOptions, workspace/configuration and didChangeConfiguration.

Recomputing the settings awaits the client (`workspace/configuration`), so a
command can arrive meanwhile. Commands that start work wait for `settled`:
a task handed off after a change notification runs with the changed settings,
and one handed off right after `initialized` never runs with the defaults
instead of the user's settings.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from lsprotocol import types

from cowork import config
from cowork.config import Settings
from cowork.lsp.server import CoworkServer

log = logging.getLogger(__name__)

# A client that never answers workspace/configuration must not hold every
# command back: after this long the other sources are used.
PULL_TIMEOUT_S = 10.0

# One lock per server, held while its settings are recomputed. (asyncio.Lock
# binds to the loop on first use, so creating it lazily in a handler is safe.)
_updating: weakref.WeakKeyDictionary[CoworkServer, asyncio.Lock] = weakref.WeakKeyDictionary()


def _lock(ls: CoworkServer) -> asyncio.Lock:
    return _updating.setdefault(ls, asyncio.Lock())


async def settled(ls: CoworkServer) -> Settings:
    """The settings, once any recomputation under way has finished."""
    async with _lock(ls):
        return ls.settings


async def _pull(ls: CoworkServer) -> Any:
    if not ls.supports("workspace.configuration"):
        return None
    try:
        result = await asyncio.wait_for(
            ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="cowork")])
            ),
            PULL_TIMEOUT_S,
        )
    except TimeoutError:
        log.warning("workspace/configuration: no answer within %.0fs", PULL_TIMEOUT_S)
        return None
    except Exception as exc:  # a client that fails the request must not stop the server
        log.warning("workspace/configuration failed: %s", exc)
        return None
    return result[0] if result else None


async def apply_settings(ls: CoworkServer, pushed: Any = None) -> None:
    """Recompute the settings from every source and hand them to the engine.

    Invalid values are reported to the user (a warning naming the key) and the
    earlier value stays; the settings in effect are written to the client's log.
    """
    # Taken before the first await: a command read after the notification that
    # brought us here is handled after this step, so it waits for the result.
    async with _lock(ls):
        pulled = await _pull(ls)
        layers: list[tuple[Any, str]] = [(ls.init_options, "initializationOptions")]
        if pulled is not None:
            layers.append((pulled, "workspace/configuration"))
        elif pushed is not None:
            layers.append((pushed, "workspace/didChangeConfiguration"))
        settings, errors = config.load(*layers)
        for message in errors:
            ls.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=message)
            )
        ls.window_log_message(
            types.LogMessageParams(
                type=types.MessageType.Info,
                message=f"cowork settings in effect:\n{config.describe(settings)}",
            )
        )
        old, ls.settings = ls.settings, settings
        if ls._engine is not None:
            ls._engine.update_settings(settings)
            if ls._engine.is_loaded:
                ls.settings_changed(old, settings)


def register(server: CoworkServer) -> None:
    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_change(ls: CoworkServer, params: types.DidChangeConfigurationParams) -> None:
        pushed = params.settings.get("cowork") if isinstance(params.settings, dict) else None
        await apply_settings(ls, pushed)
