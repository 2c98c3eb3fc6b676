"""Steering a draft: `cowork.reviseArtifact` and the artifact's code lens.

The person writes feedback into the artifact (a `## Feedback` section, inline
`> cowork:` notes) and asks for a revision; the engine runs the same hand-off
again with the previous draft and the feedback (see cowork/revision.py).
"""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types

from cowork import artifacts, uris
from cowork.errors import InputError
from cowork.lsp.commands import check_keys, clear_errors, one_object
from cowork.lsp.server import CoworkServer
from cowork.lsp.settings import settled

COMMAND = "cowork.reviseArtifact"
# Cheap to look for on every lens request: the parse itself runs when asked.
_HAS_FEEDBACK = re.compile(r"^(##\s+Feedback\s*$|>\s*cowork:)", re.I | re.M)


def lenses(server: CoworkServer, uri: str) -> list[types.CodeLens]:
    """On an artifact: *Revise with this feedback* once it has some, else how to give it."""
    if not uri.startswith("file:"):
        return []
    try:
        path = uris.to_path(uri)
    except InputError:
        return []
    if artifacts.artifact_root(path) is None:
        return []
    document = server.workspace.text_documents.get(uri)
    if document is None:
        return []
    top = types.Range(types.Position(0, 0), types.Position(0, 0))
    if _HAS_FEEDBACK.search(document.source):
        command = types.Command("✎ Revise with this feedback", COMMAND, arguments=[{"uri": uri}])
    else:  # a lens without a command is shown as text
        command = types.Command("✎ To revise: add a '## Feedback' section or '> cowork:' notes", "")
    return [types.CodeLens(range=top, command=command)]


def register(server: CoworkServer) -> None:
    server.documents.lenses.append(lambda uri: lenses(server, uri))

    @server.command(COMMAND)
    @clear_errors
    async def revise(ls: CoworkServer, *args: Any) -> dict[str, str]:
        arg = one_object(COMMAND, args)
        check_keys(COMMAND, arg, frozenset({"uri"}))
        uri = arg.get("uri")
        if not isinstance(uri, str):
            raise InputError(f'{COMMAND} needs {{"uri": "file:///…/.cowork/artifacts/….md"}}')
        path = uris.to_path(uri)
        document = ls.workspace.text_documents.get(uri)
        text = document.source if document is not None else None  # saved or not
        request = await ls.engine.prepare_revision(path, text)
        await settled(ls)  # a settings change sent before this command applies to it
        root = ls.root_for(path)
        task = await ls.engine.submit(request, ls.overlays(root))
        return {"taskId": task.task_id}
