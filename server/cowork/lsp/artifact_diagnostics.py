"""The diagnostics of an open artifact come from several features (staleness,
citations): the client keeps one list per document, so each feature sets its
own part here and the union is what is published."""

from __future__ import annotations

import weakref

from lsprotocol import types

from cowork.lsp.server import CoworkServer


class ArtifactDiagnostics:
    def __init__(self, server: CoworkServer) -> None:
        self.server = server
        self._parts: dict[str, dict[str, list[types.Diagnostic]]] = {}  # uri -> owner -> list

    def set(self, uri: str, owner: str, diagnostics: list[types.Diagnostic]) -> None:
        """Replace `owner`'s diagnostics on `uri` and publish every owner's."""
        parts = self._parts.setdefault(uri, {})
        parts[owner] = list(diagnostics)
        union = [d for part in parts.values() for d in part]
        if not union:
            del self._parts[uri]  # nothing to remember for a clean document
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=union)
        )


_OF: weakref.WeakKeyDictionary[CoworkServer, ArtifactDiagnostics] = weakref.WeakKeyDictionary()


def of(server: CoworkServer) -> ArtifactDiagnostics:
    """The server's one set of artifact diagnostics."""
    found = _OF.get(server)
    if found is None:
        found = _OF[server] = ArtifactDiagnostics(server)
    return found
