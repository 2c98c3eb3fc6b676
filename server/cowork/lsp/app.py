"""The language server with every feature registered: the top of the LSP layer, the
only module that knows them all."""

from __future__ import annotations

from cowork.lsp.server import CoworkServer


def create_server() -> CoworkServer:
    """A server with every feature registered."""
    from cowork.lsp import (
        actions,
        batch,
        brieflint,
        briefs,
        changes,
        commands,
        cost,
        documents,
        findings,
        lifecycle,
        links,
        progress,
        reviewed,
        revisions,
        settings,
        staleness,
        teamfiles,
    )

    server = CoworkServer()
    features = (
        documents,  # first: the others subscribe to it
        lifecycle,
        settings,
        progress,
        batch,
        cost,
        findings,
        staleness,
        links,
        commands,
        briefs,
        brieflint,
        teamfiles,
        revisions,
        reviewed,
        changes,
        actions,
    )
    for feature in features:
        feature.register(server)
    return server
