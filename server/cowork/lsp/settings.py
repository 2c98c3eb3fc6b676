"""Settings from initializationOptions, workspace/configuration and didChangeConfiguration."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from cowork import config
from cowork.lsp.server import CoworkServer

log = logging.getLogger(__name__)


async def _pull(ls: CoworkServer) -> Any:
    if not ls.supports("workspace.configuration"):
        return None
    try:
        result = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="cowork")])
        )
    except Exception as exc:  # a client that fails the request must not stop the server
        log.warning("workspace/configuration failed: %s", exc)
        return None
    return result[0] if result else None


async def apply_settings(ls: CoworkServer, pushed: Any = None) -> None:
    """Recompute the settings from every source and hand them to the engine."""
    pulled = await _pull(ls)
    layers: list[tuple[Any, str]] = [(ls.init_options, "initializationOptions")]
    if pulled is not None:
        layers.append((pulled, "workspace/configuration"))
    elif pushed is not None:
        layers.append((pushed, "workspace/didChangeConfiguration"))
    settings, errors = config.load(*layers)
    for message in errors:
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))
    ls.settings = settings
    if ls._engine is not None:
        ls._engine.update_settings(settings)


def register(server: CoworkServer) -> None:
    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_change(ls: CoworkServer, params: types.DidChangeConfigurationParams) -> None:
        pushed = params.settings.get("cowork") if isinstance(params.settings, dict) else None
        await apply_settings(ls, pushed)
