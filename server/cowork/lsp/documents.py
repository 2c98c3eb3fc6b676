"""Open documents: one handler per synchronisation notification, many listeners.

pygls keeps one user handler per LSP method (after its own, which keeps
`workspace.text_documents` current); features that care about documents being
opened, edited, saved or closed subscribe here instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lsprotocol import types

from cowork.lsp.server import CoworkServer

Listener = Callable[[str], None]  # called with the document's uri


@dataclass
class Documents:
    opened: list[Listener] = field(default_factory=list)
    changed: list[Listener] = field(default_factory=list)
    saved: list[Listener] = field(default_factory=list)
    closed: list[Listener] = field(default_factory=list)


def register(server: CoworkServer) -> None:
    documents = Documents()
    server.documents = documents

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        for listener in documents.opened:
            listener(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        for listener in documents.changed:
            listener(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        for listener in documents.saved:
            listener(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        for listener in documents.closed:
            listener(params.text_document.uri)
