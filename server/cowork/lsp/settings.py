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
from pathlib import Path
from typing import Any

from lsprotocol import types

from cowork import config, uris
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


def _folders(ls: CoworkServer) -> list[tuple[Path, str, str]]:
    """(root, the folder's URI as the client named it, its name) of each workspace folder."""
    out: list[tuple[Path, str, str]] = []
    for folder in ls.workspace.folders.values():
        if folder.uri.startswith("file:"):
            out.append((uris.to_path(folder.uri).resolve(), folder.uri, folder.name))
    return out


async def _pull(ls: CoworkServer, scopes: list[str]) -> list[Any] | None:
    """The client's `cowork` section for the window, then for each scope (a folder's URI),
    so that a folder's own settings reach its tasks; None when the client cannot tell."""
    if not ls.supports("workspace.configuration"):
        return None
    items = [types.ConfigurationItem(section="cowork")]
    items += [types.ConfigurationItem(section="cowork", scope_uri=scope) for scope in scopes]
    try:
        result = await asyncio.wait_for(
            ls.workspace_configuration_async(types.ConfigurationParams(items=items)),
            PULL_TIMEOUT_S,
        )
    except TimeoutError:
        log.warning("workspace/configuration: no answer within %.0fs", PULL_TIMEOUT_S)
        return None
    except Exception as exc:  # a client that fails the request must not stop the server
        log.warning("workspace/configuration failed: %s", exc)
        return None
    if not isinstance(result, list | tuple) or not result:
        return None
    return [*result, *[None] * (len(items) - len(result))][: len(items)]


def _own(folder: Any, window: Any) -> dict[str, Any]:
    """The keys whose value a folder's answer sets otherwise than the window's: the
    folder's own settings. (A client answers for a folder with every level merged,
    so the window's values, and their errors, would come once per folder.)"""
    if not isinstance(folder, dict):
        return {}
    base = window if isinstance(window, dict) else {}
    return {k: v for k, v in folder.items() if v is not None and base.get(k) != v}


async def apply_settings(ls: CoworkServer, pushed: Any = None) -> None:
    """Recompute the settings from every source and hand them to the engine: the
    window's, and each workspace folder's where the folder sets its own values.

    Invalid values are reported to the user (a warning naming the key) and the
    earlier value stays; the settings in effect are written to the client's log.
    """
    # Taken before the first await: a command read after the notification that
    # brought us here is handled after this step, so it waits for the result.
    async with _lock(ls):
        folders = _folders(ls)
        pulled = await _pull(ls, [uri for _, uri, _ in folders])
        layers: list[tuple[Any, str]] = [(ls.init_options, "initializationOptions")]
        if pulled is not None:
            layers.append((pulled[0], "workspace/configuration"))
        elif pushed is not None:
            layers.append((pushed, "workspace/didChangeConfiguration"))
        settings, errors = config.load(*layers)
        own: dict[Path, Settings] = {}
        described = [f"cowork settings in effect:\n{config.describe(settings)}"]
        for n, (root, _, name) in enumerate(folders, 1):
            values = _own(pulled[n], pulled[0]) if pulled is not None else {}
            if not values:
                continue
            source = f"workspace/configuration for {name}"
            own[root], more = config.merge(settings, values, source)
            errors += [m for m in more if m not in errors]
            described.append(f"{name} ({root}) sets its own: {', '.join(sorted(values))}")
        for message in errors:
            ls.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=message)
            )
        changed = config.changes(ls.settings, settings)
        if changed:  # last, where a log view that follows its end shows it
            described.append("changed:\n" + "\n".join(changed))
        ls.window_log_message(
            types.LogMessageParams(type=types.MessageType.Info, message="\n".join(described))
        )
        old, ls.settings = ls.settings, settings
        old_own, ls.folder_settings = ls.folder_settings, own
        if ls._engine is not None:
            ls._engine.update_settings(settings, own)
            if ls._engine.is_loaded and (old != settings or old_own != own):
                ls.settings_changed(old, settings)


def register(server: CoworkServer) -> None:
    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_change(ls: CoworkServer, params: types.DidChangeConfigurationParams) -> None:
        pushed = params.settings.get("cowork") if isinstance(params.settings, dict) else None
        await apply_settings(ls, pushed)
