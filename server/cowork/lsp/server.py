"""CoworkServer: the pygls server, its lifecycle, and the wiring of the features."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from cowork import __version__, uris
from cowork.config import Settings
from cowork.engine.engine import TaskEngine
from cowork.errors import InputError

if TYPE_CHECKING:
    from cowork.lsp.documents import Documents
    from cowork.lsp.findings import Findings

log = logging.getLogger(__name__)


class CoworkServer(LanguageServer):
    """The language server. Holds the engine; features live in sibling modules."""

    def __init__(self) -> None:
        super().__init__(
            "cowork", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.settings = Settings()  # the window's (no folder's own settings)
        self.folder_settings: dict[Path, Settings] = {}  # a folder's own, where it has any
        self.init_options: dict[str, Any] = {}
        self._engine: TaskEngine | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._engine_hooks: list[Callable[[TaskEngine], None]] = []
        self._settings_hooks: list[Callable[[Settings, Settings], None]] = []
        self._roots: tuple[tuple[object, ...], list[Path]] | None = None
        self.findings: Findings  # set by the findings feature (lsp/findings.py)
        self.documents: Documents  # set by lsp/documents.py, registered first

    # -- engine ------------------------------------------------------------------

    @property
    def engine(self) -> TaskEngine:
        if self._engine is None:
            raise JsonRpcInvalidParams("the server is not initialized yet")
        return self._engine

    def when_engine_starts(self, hook: Callable[[TaskEngine], None]) -> None:
        """Run `hook` once the engine exists (features subscribe to it there)."""
        self._engine_hooks.append(hook)

    def when_settings_change(self, hook: Callable[[Settings, Settings], None]) -> None:
        """Call `hook(old, new)` after each recomputation of the settings, once the engine
        has them and has loaded its workspaces."""
        self._settings_hooks.append(hook)

    def settings_changed(self, old: Settings, new: Settings) -> None:
        for hook in self._settings_hooks:
            try:
                hook(old, new)
            except Exception:  # one feature's failure must not keep the others stale
                log.exception("settings hook failed")

    def start_engine(self) -> TaskEngine:
        """Create the engine on the running loop (never in __init__: see pygls2 notes)."""
        if self._engine is None:
            self._engine = TaskEngine(self.settings, gather_in_processes=True)
            for hook in self._engine_hooks:
                hook(self._engine)
        return self._engine

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run `coro` in the background, strongly referenced, failures logged."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._background.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._background.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background job %s failed", name, exc_info=t.exception())

        task.add_done_callback(done)
        return task

    def settings_for(self, root: Path) -> Settings:
        """The settings that apply to the workspace folder `root`."""
        return self.folder_settings.get(root, self.settings)

    # -- client capabilities -----------------------------------------------------

    def supports(self, field: str) -> bool:
        return bool(get_capability(self.client_capabilities, field, False))

    def capability(self, field: str, default: Any) -> Any:
        """A client capability's value (lists, kinds), or `default`."""
        return get_capability(self.client_capabilities, field, default)

    # -- workspace folders -------------------------------------------------------

    def workspace_roots(self) -> list[Path]:
        """The workspace folders, as paths; the root path when the client sent no folders.

        Computed once per change of the folders: code actions ask on every
        cursor move, and file-system calls there cost GIL round-trips while
        tasks are busy.
        """
        key = (self.workspace.root_path, *sorted(self.workspace.folders))
        if self._roots is None or self._roots[0] != key:
            roots = [
                uris.to_path(f.uri).resolve()
                for f in self.workspace.folders.values()
                if f.uri.startswith("file:")
            ]
            if not roots and self.workspace.root_path:
                roots = [Path(self.workspace.root_path).resolve()]
            self._roots = (key, roots)
        return self._roots[1]

    def root_for(self, path: Path) -> Path:
        """The innermost workspace folder holding `path`; InputError when none does.

        Pure path arithmetic first; symlinks are resolved only when that finds nothing.
        """
        roots = self.workspace_roots()
        for candidate in (Path(os.path.normpath(path)), path.resolve()):
            holders = [r for r in roots if candidate == r or r in candidate.parents]
            if holders:
                return max(holders, key=lambda r: len(r.parts))
        folders = ", ".join(str(r) for r in roots) or "none"
        raise InputError(f"{path} is outside the workspace folders ({folders})")

    def default_root(self, uri: str | None = None) -> Path:
        """The folder for a workspace-wide task: the one holding `uri`, else the first."""
        if uri:
            return self.root_for(uris.to_path(uri))
        roots = self.workspace_roots()
        if not roots:
            raise InputError("no workspace folder is open: open a folder first")
        return roots[0]

    def overlays(self, root: Path) -> dict[str, str]:
        """Unsaved editor text of open documents inside `root`, by relative path."""
        out: dict[str, str] = {}
        for uri, doc in list(self.workspace.text_documents.items()):
            if not uri.startswith("file:"):
                continue
            try:
                path = uris.to_path(uri).resolve()
                out[path.relative_to(root).as_posix()] = doc.source
            except (ValueError, InputError):
                continue
        return out
