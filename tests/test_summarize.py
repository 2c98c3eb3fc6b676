"""Summarise a module from the editor: code action → command → progress → artifact."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lsprotocol import types

from conftest import Session, start_session, stop_session, without_show_document
from cowork.artifacts import read_provenance


async def test_code_actions_offer_summarize(session: Session, repo: Path) -> None:
    uri = (repo / "pkg/engine.py").as_uri()
    actions = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(0, 0), end=types.Position(0, 0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert actions is not None
    titles = [a.title for a in actions]
    assert "cowork: Summarize this module" in titles


async def test_summarize_end_to_end(session: Session, repo: Path) -> None:
    uri = (repo / "pkg/engine.py").as_uri()
    answer = await session.command("cowork.summarizeModule", {"uri": uri})
    task_id = answer["taskId"]
    done = await session.wait_for(task_id, "done", "failed")
    assert done["state"] == "done", done["error"]
    assert session.states(task_id) == ["queued", "running", "done"]

    artifact = Path(done["artifactUri"].removeprefix("file://"))
    assert artifact.is_file()
    assert artifact.parent == repo / ".cowork" / "artifacts"
    text = artifact.read_text()
    assert "no model was used" in text
    assert "class" in text and "`Engine`" in text
    assert "`submit(self, job: str) -> int`" in text
    assert "pkg/cli.py" in text  # who imports it
    assert "tests/test_engine.py" in text  # its tests
    assert "Add the package" in text  # its history

    prov = read_provenance(artifact)
    files = {f["path"]: f["sha256"] for f in prov["context"]["files"]}
    assert (
        files["pkg/engine.py"] == hashlib.sha256((repo / "pkg/engine.py").read_bytes()).hexdigest()
    )
    assert prov["status"] == "draft" and prov["taskId"] == task_id

    shown = await session.wait_until(lambda: session.client.shown_documents, "showDocument")
    assert [d.uri for d in shown] == [done["artifactUri"]]

    token = f"cowork-task-{task_id}"
    await session.wait_until(
        lambda: any(
            type(v).__name__ == "WorkDoneProgressEnd"
            for v in session.client.progress_reports.get(token, [])
        ),
        "the end of work-done progress",
    )
    kinds = [type(v).__name__ for v in session.client.progress_reports[token]]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    assert "WorkDoneProgressReport" in kinds


async def test_artifact_reported_by_message_without_show_document(repo: Path, editor: str) -> None:
    """A client without window/showDocument (Neovim 0.7) is told the path instead."""
    session = await start_session(repo, editor, capabilities=without_show_document(editor))
    try:
        answer = await session.command(
            "cowork.summarizeModule", {"uri": (repo / "pkg/util.py").as_uri()}
        )
        done = await session.wait_for(answer["taskId"], "done", "failed")
        assert done["state"] == "done", done["error"]
        artifact = Path(done["artifactUri"].removeprefix("file://"))
        await session.wait_until(
            lambda: any(str(artifact) in m.message for m in session.client.messages),
            "a message naming the artifact",
        )
        assert artifact.is_file()
        assert not session.client.shown_documents
    finally:
        await stop_session(session)


async def test_a_later_summary_sees_the_files_as_they_are_now(repo: Path, editor: str) -> None:
    """The gathering process keeps what it learnt of the workspace between tasks (and a
    watch on it): what changed on disk meanwhile must show in the next artifact."""
    session = await start_session(repo, editor, configuration={"maxConcurrentTasks": 1})
    try:
        uri = (repo / "pkg/engine.py").as_uri()

        async def summary() -> str:
            answer = await session.command("cowork.summarizeModule", {"uri": uri})
            done = await session.wait_for(answer["taskId"], "done", "failed")
            assert done["state"] == "done", done["error"]
            return Path(done["artifactUri"].removeprefix("file://")).read_text()

        first = await summary()
        assert "pkg/cli.py" in first and "added_later" not in first
        engine = repo / "pkg/engine.py"
        engine.write_text(
            engine.read_text() + "\n\ndef added_later(x: int) -> int:\n    return x\n"
        )
        (repo / "pkg/later").mkdir()
        (repo / "pkg/later/user.py").write_text("from pkg.engine import added_later\n")
        (repo / "pkg/cli.py").unlink()
        second = await summary()
        assert "`added_later(x: int) -> int`" in second
        assert "pkg/later/user.py" in second  # a new importer, in a new folder
        assert "pkg/cli.py" not in second  # gone
    finally:
        await stop_session(session)
