"""initialize / initialized / shutdown and workspace folder changes."""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types

from cowork import uris
from cowork.lsp import warm
from cowork.lsp.server import CoworkServer
from cowork.lsp.settings import apply_settings

log = logging.getLogger(__name__)


def register(server: CoworkServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: CoworkServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("cowork"), dict):
            options = options["cowork"]
        ls.init_options = options if isinstance(options, dict) else {}
        ls.initialize_handled = True

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: CoworkServer, params: types.InitializedParams) -> None:
        # The settings first: they are locked from this handler's first step on, so a
        # request that waits for settled settings gets the client's.
        await apply_settings(ls)
        # The engine and the kinds were not imported to answer `initialize`: a second
        # of CPU that must not hold the event loop. Commands wait for it meanwhile.
        await asyncio.to_thread(warm.import_engine)
        engine = ls.start_engine()
        engine.update_settings(ls.settings, ls.folder_settings)
        engine.start_workers()  # as many as the settings allow
        try:
            for root in ls.workspace_roots():
                requeued = await engine.open_workspace(root, resume=True)
                if requeued:
                    ls.window_show_message(
                        types.ShowMessageParams(
                            type=types.MessageType.Info,
                            message=f"cowork: re-running {len(requeued)} task(s) interrupted when "
                            f"the server stopped ({root.name})",
                        )
                    )
        finally:
            # Requests that arrive meanwhile (this handler awaits the client and
            # SQLite) wait for this, so they never miss a past task.
            engine.mark_loaded()
        await ls.findings.publish_all()  # the latest review's findings, as left

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def on_folders(ls: CoworkServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        if params.event.added or params.event.removed:
            await apply_settings(ls)  # a new folder's own settings (pulled by its scopeUri)
        for folder in params.event.added:
            if folder.uri.startswith("file:"):
                root = uris.to_path(folder.uri).resolve()
                await ls.engine.open_workspace(root, resume=True)
                await ls.findings.publish(root)

    @server.feature(types.SHUTDOWN)
    async def on_shutdown(ls: CoworkServer, params: None) -> None:
        if ls._engine is not None:
            await ls._engine.close()
