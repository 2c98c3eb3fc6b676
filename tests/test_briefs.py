"""Briefs as documents: cowork.newBrief writes and opens one, cowork.dispatchBrief sends it."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from conftest import Session
from cowork.artifacts import read_provenance
from cowork.brief import Brief


async def test_new_brief_opens_an_editable_document(session: Session, repo: Path) -> None:
    uri = (repo / "pkg/engine.py").as_uri()
    answer = await session.command("cowork.newBrief", {"kind": "summarize", "uris": [uri]})
    path = Path(answer["uri"].removeprefix("file://"))
    assert path.parent == repo / ".cowork" / "briefs"
    brief = Brief.from_markdown(path.read_text())
    assert brief.kind == "summarize" and "pkg/engine.py" in brief.goal
    assert brief.output_format and brief.out_of_scope
    shown = await session.wait_until(lambda: session.client.shown_documents, "the brief shown")
    assert shown[-1].uri == answer["uri"]


async def test_dispatch_sends_the_edited_unsaved_brief(session: Session, repo: Path) -> None:
    uri = (repo / "pkg/util.py").as_uri()
    answer = await session.command("cowork.newBrief", {"kind": "summarize", "uris": [uri]})
    path = Path(answer["uri"].removeprefix("file://"))
    text = path.read_text()
    edited = text.replace(
        text.split("## Goal\n\n")[1].split("\n\n")[0],
        "Tell me whether util.count is safe to call with None.",
    )
    # Edited in the editor but not saved: what the user sees is what is sent.
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=answer["uri"], language_id="markdown", version=1, text=edited
            )
        )
    )
    task = await session.command("cowork.dispatchBrief", {"uri": answer["uri"]})
    done = await session.wait_for(task["taskId"], "done", "failed")
    assert done["state"] == "done", done["error"]
    artifact = Path(done["artifactUri"].removeprefix("file://"))
    prov = read_provenance(artifact)
    assert prov["brief"]["goal"] == "Tell me whether util.count is safe to call with None."
    assert prov["brief"]["uri"] == answer["uri"]
    assert "Tell me whether util.count is safe" in artifact.read_text()  # in the prompt shown


async def test_add_to_architecture_brief_accumulates(session: Session, repo: Path) -> None:
    first = await session.command(
        "cowork.newBrief", {"kind": "architecture", "uris": [(repo / "pkg").as_uri()]}
    )
    second = await session.command(
        "cowork.newBrief", {"kind": "architecture", "uris": [(repo / "tests").as_uri()]}
    )
    assert first["uri"] == second["uri"]
    brief = Brief.from_markdown(Path(second["uri"].removeprefix("file://")).read_text())
    assert brief.params["uris"] == [(repo / "pkg").as_uri(), (repo / "tests").as_uri()]
    task = await session.command("cowork.dispatchBrief", {"uri": second["uri"]})
    done = await session.wait_for(task["taskId"], "done", "failed")
    assert done["state"] == "done", done["error"]
    text = Path(done["artifactUri"].removeprefix("file://")).read_text()
    assert "## `pkg`" in text and "## `tests`" in text
    assert "`tests` imports from `pkg`" in text


async def test_a_brief_without_a_goal_is_refused_clearly(session: Session, repo: Path) -> None:
    path = repo / ".cowork" / "briefs" / "broken.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\nkind: review\n---\n# Review\n\n## Context\n\n- the diff\n")
    with pytest.raises(JsonRpcInvalidParams, match="no '## Goal' section"):
        await session.command("cowork.dispatchBrief", {"uri": path.as_uri()})
    path.write_text("# no front matter\n")
    with pytest.raises(JsonRpcInvalidParams, match="no front matter"):
        await session.command("cowork.dispatchBrief", {"uri": path.as_uri()})
    assert isinstance(await session.command("cowork.listTasks"), list)  # still serving
