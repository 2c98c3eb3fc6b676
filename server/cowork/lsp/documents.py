"""Open documents: one handler per synchronisation notification, many listeners.

pygls keeps one user handler per LSP method (after its own, which keeps
`workspace.text_documents` current); features that care about documents being
opened, edited, saved or closed subscribe here instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from lsprotocol import types

from cowork.lsp.server import CoworkServer

log = logging.getLogger(__name__)

Listener = Callable[[str], None]  # called with the document's uri
LensProvider = Callable[[str], list[types.CodeLens]]  # the code lenses of a document


@dataclass
class Documents:
    opened: list[Listener] = field(default_factory=list)
    changed: list[Listener] = field(default_factory=list)
    saved: list[Listener] = field(default_factory=list)
    closed: list[Listener] = field(default_factory=list)
    # pygls keeps one code lens handler too: each feature adds its lenses here.
    lenses: list[LensProvider] = field(default_factory=list)


def _tell(listeners: list[Listener], uri: str) -> None:
    # One feature's failure must not keep a document from the others.
    for listener in listeners:
        try:
            listener(uri)
        except Exception:
            log.exception("document listener failed for %s", uri)


def register(server: CoworkServer) -> None:
    documents = Documents()
    server.documents = documents

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        _tell(documents.opened, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        _tell(documents.changed, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        _tell(documents.saved, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        _tell(documents.closed, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    def code_lens(params: types.CodeLensParams) -> list[types.CodeLens]:
        out: list[types.CodeLens] = []
        for provider in documents.lenses:
            try:
                out += provider(params.text_document.uri)
            except Exception:
                log.exception("code lens provider failed for %s", params.text_document.uri)
        return out
