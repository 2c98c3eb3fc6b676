"""Reviewed, not just drafted: a person marks an artifact reviewed, and every place
that lists drafts says so (front matter, task record, listTasks, the CLI)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from conftest import artifact_of, cowork, start_session, stop_session
from cowork.artifacts import read_provenance
from repos import git


async def test_mark_as_reviewed_round_trips(repo: Path) -> None:
    git(repo, "config", "user.name", "Grace Hopper")
    git(repo, "config", "user.email", "grace@example.com")
    session = await start_session(repo, "visual_studio_code")
    try:
        started = await session.command(
            "cowork.summarizeModule", {"uri": (repo / "pkg/engine.py").as_uri()}
        )
        done = await session.wait_for(started["taskId"], "done", "failed")
        assert done["reviewed"] is False
        uri = done["artifactUri"]
        session.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri, "markdown", 1, artifact_of(done).read_text())
            )
        )
        lenses = await session.client.text_document_code_lens_async(
            types.CodeLensParams(types.TextDocumentIdentifier(uri))
        )
        (mark,) = [
            lens.command
            for lens in lenses or []
            if lens.command and lens.command.title == "✓ Mark as reviewed"
        ]
        record = await session.command(mark.command, *(mark.arguments or []))
        changed = await session.wait_until(
            lambda: next(
                (r for r in session.changes if r["taskId"] == done["taskId"] and r["reviewed"]),
                None,
            ),
            "the task record to say reviewed",
        )
        listed = await session.command("cowork.listTasks")
    finally:
        await stop_session(session)
    assert record["reviewed"] is True and record["reviewedBy"] == "Grace Hopper <grace@example.com>"
    assert changed["reviewedBy"] == "Grace Hopper <grace@example.com>"
    assert [t["reviewed"] for t in listed] == [True]
    provenance = read_provenance(artifact_of(done))
    assert provenance["status"] == "reviewed"
    assert provenance["reviewedBy"] == "Grace Hopper <grace@example.com>"
    assert artifact_of(done).read_text().startswith("---\ncowork: 2\nstatus: reviewed\n")

    table = cowork(repo, "tasks").stdout
    assert f"{done['taskId']}" in table and " reviewed " in table


def test_the_cli_lists_drafts_and_marks_them_reviewed(repo: Path) -> None:
    made = cowork(repo, "run", "summarize", "pkg/engine.py", "-q")
    assert made.returncode == 0, made.stderr
    artifact = Path(made.stdout.strip())
    assert " draft " in cowork(repo, "tasks").stdout
    marked = cowork(repo, "mark-reviewed", str(artifact))
    assert marked.returncode == 0, marked.stderr
    assert read_provenance(artifact)["status"] == "reviewed"
    assert " reviewed " in cowork(repo, "tasks").stdout
    again = cowork(repo, "mark-reviewed", str(artifact.with_name("nope.md")))
    assert again.returncode == 2 and "cannot read" in again.stderr
