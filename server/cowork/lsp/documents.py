"""Open documents: one handler per synchronisation notification, many listeners.

pygls keeps one user handler per LSP method (after its own, which keeps
`workspace.text_documents` current); features that care about documents being
opened, edited, saved or closed subscribe here instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types

from cowork import artifacts, uris
from cowork.errors import InputError
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


TOP = types.Range(types.Position(0, 0), types.Position(0, 0))  # where a document's lenses go


def open_artifact(server: CoworkServer, uri: str) -> tuple[Path, str] | None:
    """(its workspace folder, its text as the editor has it) when `uri` is an artifact
    open in the editor; None otherwise. Cheap: asked on every code lens request."""
    if not uri.startswith("file:"):
        return None
    document = server.workspace.text_documents.get(uri)
    if document is None:
        return None
    try:
        root = artifacts.artifact_root(uris.to_path(uri))
    except InputError:
        return None
    return (root, document.source) if root is not None else None


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
