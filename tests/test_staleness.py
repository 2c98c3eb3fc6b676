"""An artifact whose context files changed since it was built says it is stale: as a
diagnostic on the open artifact, and in `cowork tasks`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lsprotocol import types

from conftest import Session, cowork


def stale_messages(session: Session, uri: str) -> list[str] | None:
    """The stale diagnostics published for `uri` (None: nothing published yet)."""
    published = session.client.diagnostics.get(uri)
    if published is None:
        return None
    return [d.message for d in published if d.source == "cowork" and d.code == "stale"]


async def test_an_open_artifact_says_when_its_sources_changed(session: Session, repo: Path) -> None:
    engine = repo / "pkg/engine.py"
    answer = await session.command("cowork.summarizeModule", {"uri": engine.as_uri()})
    done = await session.wait_for(answer["taskId"], "done", "failed")
    assert done["state"] == "done", done["error"]
    artifact_uri = done["artifactUri"]
    artifact = Path(artifact_uri.removeprefix("file://"))

    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(artifact_uri, "markdown", 1, artifact.read_text())
        )
    )
    await session.wait_until(
        lambda: stale_messages(session, artifact_uri) == [], "the artifact checked: fresh"
    )

    original = engine.read_text()
    engine.write_text(original + "\n\ndef later():\n    pass\n")
    session.client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(engine.as_uri()))
    )
    await session.wait_until(
        lambda: bool(stale_messages(session, artifact_uri)), "a stale diagnostic on the artifact"
    )
    (message,) = stale_messages(session, artifact_uri) or []
    (d,) = session.client.diagnostics[artifact_uri]
    assert d.range == types.Range(types.Position(0, 0), types.Position(0, 3))  # "---"
    assert message.startswith("Stale: 1 of the ")
    assert "pkg/engine.py (changed)" in message and "Run the task again" in message

    engine.write_text(original)  # undone: the draft matches its sources again
    session.client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(engine.as_uri()))
    )
    await session.wait_until(
        lambda: stale_messages(session, artifact_uri) == [], "the stale diagnostic cleared"
    )

    # Closing the artifact takes its diagnostic away; a document that is not an
    # artifact never gets one.
    engine.write_text(original + "# changed again\n")
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(engine.as_uri(), "python", 1, engine.read_text())
        )
    )
    session.client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(engine.as_uri()))
    )
    await session.wait_until(
        lambda: bool(stale_messages(session, artifact_uri)), "stale again after the edit"
    )
    session.client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(artifact_uri))
    )
    await session.wait_until(
        lambda: list(session.client.diagnostics.get(artifact_uri, [None])) == [],
        "diagnostics cleared on close",
    )
    assert stale_messages(session, engine.as_uri()) in (None, [])


def test_tasks_lists_stale_artifacts(repo: Path) -> None:
    assert cowork(repo, "run", "summarize", "-q", "pkg/engine.py").returncode == 0
    listed = cowork(repo, "tasks")
    assert listed.returncode == 0, listed.stderr
    assert "Stale" not in listed.stdout

    (repo / "pkg/util.py").write_text("def count(text):\n    return 0\n")  # imported by engine
    (repo / "tests/test_engine.py").unlink()
    listed = cowork(repo, "tasks")
    assert "Stale: 2 of the " in listed.stdout, listed.stdout
    assert "pkg/util.py (changed)" in listed.stdout
    assert "tests/test_engine.py (gone)" in listed.stdout


def test_tasks_judges_staleness_from_the_database_not_the_artifact(repo: Path) -> None:
    done = cowork(repo, "run", "summarize", "-q", "pkg/engine.py")
    assert done.returncode == 0, done.stderr
    artifact = Path(done.stdout.strip())
    # The artifact's front matter is gone (edited by hand): `cowork tasks` does not read it.
    artifact.write_text("# notes of my own\n")
    (repo / "pkg/util.py").write_text("def count(text):\n    return 0\n")
    listed = cowork(repo, "tasks")
    assert listed.returncode == 0, listed.stderr
    assert "pkg/util.py (changed)" in listed.stdout, listed.stdout


def test_tasks_recorded_before_sources_were_kept_are_read_once(repo: Path) -> None:
    done = cowork(repo, "run", "summarize", "-q", "pkg/engine.py")
    artifact = Path(done.stdout.strip())
    with sqlite3.connect(repo / ".cowork/state/tasks.db") as db:
        db.execute("DELETE FROM task_sources")  # as a database from an older cowork
    (repo / "tests/test_engine.py").unlink()
    assert "tests/test_engine.py (gone)" in cowork(repo, "tasks").stdout
    artifact.write_text("no front matter any more\n")  # read once: recorded since
    assert "tests/test_engine.py (gone)" in cowork(repo, "tasks").stdout


async def test_list_tasks_marks_stale_artifacts(session: Session, repo: Path) -> None:
    started = await session.command(
        "cowork.summarizeModule", {"uri": (repo / "pkg/engine.py").as_uri()}
    )
    done = await session.wait_for(started["taskId"], "done", "failed")
    assert [t["stale"] for t in await session.command("cowork.listTasks")] == [False]
    engine = repo / "pkg/engine.py"
    engine.write_text(engine.read_text() + "\n# changed since\n")
    listed = await session.command("cowork.listTasks")
    assert [(t["taskId"], t["stale"]) for t in listed] == [(done["taskId"], True)]
