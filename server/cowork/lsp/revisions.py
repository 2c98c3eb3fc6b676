"""Steering a draft: `cowork.reviseArtifact` and the artifact's code lens.

The person writes feedback into the artifact (a `## Feedback` section, inline
`> cowork:` notes) and asks for a revision; the engine runs the same hand-off
again with the previous draft and the feedback (see cowork/revision.py).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from lsprotocol import types

from cowork import artifacts, uris
from cowork.errors import InputError
from cowork.lsp.commands import a_uri, clear_errors
from cowork.lsp.documents import TOP, open_artifact
from cowork.lsp.server import CoworkServer
from cowork.lsp.settings import settled
from cowork.revision import version_diff

COMMAND = "cowork.reviseArtifact"
DIFF = "cowork.diffVersions"
_REVISES = re.compile(r"^revises:\s*'?([^'\n]+?)'?\s*$", re.M)
# Cheap to look for on every lens request: the parse itself runs when asked.
_HAS_FEEDBACK = re.compile(r"^(##\s+Feedback\s*$|>\s*cowork:)", re.I | re.M)


def lenses(server: CoworkServer, uri: str) -> list[types.CodeLens]:
    """On an artifact: *Revise with this feedback* once it has some, else how to give it."""
    found = open_artifact(server, uri)
    if found is None:
        return []
    text = found[1]
    if _HAS_FEEDBACK.search(text):
        command = types.Command("✎ Revise with this feedback", COMMAND, arguments=[{"uri": uri}])
    else:  # a lens without a command is shown as text
        command = types.Command("✎ To revise: add a '## Feedback' section or '> cowork:' notes", "")
    out = [types.CodeLens(range=TOP, command=command)]
    if _REVISES.search(text[:4000]):
        compare = types.Command(
            "⇄ Compare with the previous version", DIFF, arguments=[{"uri": uri}]
        )
        out.append(types.CodeLens(range=TOP, command=compare))
    return out


async def diff_versions(ls: CoworkServer, uri: str) -> dict[str, str]:
    """Write the diff between a revision and the version it revises beside them, and
    open it."""
    path = uris.to_path(uri)
    document = ls.workspace.text_documents.get(uri)
    current = document.source if document is not None else None

    def write() -> Path:
        text = current if current is not None else path.read_text(encoding="utf-8")
        found = _REVISES.search(text[:4000])
        if found is None:
            raise InputError(f"{path.name} is a first version: it revises nothing")
        previous = path.with_name(found.group(1).strip())
        try:
            before = previous.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"the previous version {previous.name} cannot be read: {exc}"
            ) from None
        out = path.with_suffix(".diff")
        artifacts.write_atomic(out, version_diff(previous, path, before, text) or "(no change)\n")
        return out

    try:
        out = await asyncio.to_thread(write)
    except OSError as exc:
        raise InputError(f"cannot compare {path.name}: {exc}") from None
    out_uri = uris.from_path(out)
    if ls.supports("window.show_document.support"):
        await ls.window_show_document_async(types.ShowDocumentParams(uri=out_uri, take_focus=True))
    else:
        ls.window_show_message(
            types.ShowMessageParams(types.MessageType.Info, f"cowork: the diff is in {out}")
        )
    return {"uri": out_uri}


def register(server: CoworkServer) -> None:
    server.documents.lenses.append(lambda uri: lenses(server, uri))

    @server.command(DIFF)
    @clear_errors
    async def diff(ls: CoworkServer, *args: Any) -> dict[str, str]:
        return await diff_versions(ls, a_uri(DIFF, args, "file:///…/.cowork/artifacts/…-v2.md"))

    @server.command(COMMAND)
    @clear_errors
    async def revise(ls: CoworkServer, *args: Any) -> dict[str, str]:
        uri = a_uri(COMMAND, args, "file:///…/.cowork/artifacts/….md")
        path = uris.to_path(uri)
        document = ls.workspace.text_documents.get(uri)
        text = document.source if document is not None else None  # saved or not
        request = await ls.engine.prepare_revision(path, text)
        await settled(ls)  # a settings change sent before this command applies to it
        root = ls.root_for(path)
        task = await ls.engine.submit(request, ls.overlays(root))
        return {"taskId": task.task_id}
