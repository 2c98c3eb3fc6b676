"""Reviewed, not just drafted: `cowork.markReviewed` and the code lens that offers it
on an artifact whose front matter still says `status: draft`."""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types

from cowork import uris
from cowork.lsp.commands import a_uri, clear_errors
from cowork.lsp.documents import TOP, open_artifact
from cowork.lsp.server import CoworkServer

COMMAND = "cowork.markReviewed"
_DRAFT = re.compile(r"\A---\n(?:.*\n)*?status:\s*draft\s*\n", re.M)


def lenses(server: CoworkServer, uri: str) -> list[types.CodeLens]:
    found = open_artifact(server, uri)
    if found is None or not _DRAFT.match(found[1][:2000]):
        return []
    mark = types.Command("✓ Mark as reviewed", COMMAND, arguments=[{"uri": uri}])
    return [types.CodeLens(range=TOP, command=mark)]


def register(server: CoworkServer) -> None:
    server.documents.lenses.append(lambda uri: lenses(server, uri))

    @server.command(COMMAND)
    @clear_errors
    async def mark_reviewed(ls: CoworkServer, *args: Any) -> dict[str, Any]:
        uri = a_uri(COMMAND, args, "file:///…/.cowork/artifacts/….md")
        await ls.engine.loaded()
        task = await ls.engine.mark_reviewed(uris.to_path(uri))
        return ls.engine.record(task)
