"""Stale artifacts: an open artifact whose context files changed since says so.

When an artifact is opened, and whenever a document is saved while artifacts
are open, each open artifact's recorded content hashes are compared with the
files as they are now. A stale one gets one diagnostic (source `cowork`, code
`stale`) on its first line, naming what changed; a fresh one gets none.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types

from cowork import artifacts, uris
from cowork.errors import InputError
from cowork.lsp import artifact_diagnostics
from cowork.lsp.findings import SOURCE
from cowork.lsp.server import CoworkServer

CODE = "stale"


class Staleness:
    def __init__(self, server: CoworkServer) -> None:
        self.server = server
        self._open: set[str] = set()  # uris of open artifacts

    def opened(self, uri: str) -> None:
        path = _artifact_path(uri)
        if path is not None:
            self._open.add(uri)
            self.server.spawn(self._publish(uri, path), "check an artifact for staleness")

    def closed(self, uri: str) -> None:
        if uri in self._open:
            self._open.discard(uri)
            self._send(uri, "")

    def saved(self) -> None:
        for uri in list(self._open):
            path = _artifact_path(uri)
            if path is not None:
                self.server.spawn(self._publish(uri, path), "check an artifact for staleness")

    async def _publish(self, uri: str, path: Path) -> None:
        why = await asyncio.to_thread(artifacts.stale, path)
        if uri in self._open:
            self._send(uri, why)

    def _send(self, uri: str, why: str) -> None:
        diagnostics = []
        if why:
            # The first line only, to its end (not into the next, where it would be
            # under a cursor at the start of line 2).
            document = self.server.workspace.text_documents.get(uri)
            first = document.lines[0].rstrip("\r\n") if document and document.lines else ""
            end = self.server.workspace.position_codec.client_num_units(first)
            diagnostics.append(
                types.Diagnostic(
                    range=types.Range(types.Position(0, 0), types.Position(0, end)),
                    message=why,
                    severity=types.DiagnosticSeverity.Warning,
                    source=SOURCE,
                    code=CODE,
                )
            )
        artifact_diagnostics.of(self.server).set(uri, CODE, diagnostics)


def _artifact_path(uri: str) -> Path | None:
    try:
        path = uris.to_path(uri)
    except InputError:
        return None  # not a file: an untitled buffer, a diff view
    return path if artifacts.artifact_root(path) is not None else None


def register(server: CoworkServer) -> None:
    staleness = Staleness(server)
    server.documents.opened.append(staleness.opened)
    server.documents.saved.append(lambda _: staleness.saved())
    server.documents.closed.append(staleness.closed)
