"""Every task command of design.md runs through the engine to an artifact."""

from __future__ import annotations

from pathlib import Path

from conftest import Session
from cowork.artifacts import read_provenance
from repos import commit, git


def artifact_text(record: dict[str, str]) -> str:
    return Path(record["artifactUri"].removeprefix("file://")).read_text()


async def run(session: Session, command: str, arg: dict[str, object]) -> dict[str, str]:
    answer = await session.command(command, arg)
    done = await session.wait_for(answer["taskId"], "done", "failed")
    assert done["state"] == "done", done["error"]
    return done


async def test_review_and_docs_of_a_branch(session: Session, repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    commit(
        repo,
        "Log every submitted job",
        {
            "pkg/util.py": (repo / "pkg/util.py").read_text()
            + "\n\ndef log(x):\n    print(x)  # TODO: use logging\n",
        },
    )
    review = await run(session, "cowork.reviewChanges", {"description": "Adds job logging."})
    text = artifact_text(review)
    assert "Log every submitted job" in text and "Adds job logging." in text
    assert "`pkg/util.py:10` — Remove the print() call" in text
    assert "`pkg/util.py:10` — Resolve or track the added TODO/FIXME" in text
    prov = read_provenance(Path(review["artifactUri"].removeprefix("file://")))
    assert prov["git"]["base"] == git(repo, "rev-parse", "main")
    assert prov["git"]["branch"] == "feature"

    notes = repo / "NOTES.md"
    notes.write_text("We log with print for now; structured logging comes next.\n")
    docs = await run(session, "cowork.draftDocs", {"base": "main", "notes": [notes.as_uri()]})
    text = artifact_text(docs)
    assert "pkg/util.py" in text and "structured logging comes next" in text


async def test_architecture_and_research(session: Session, repo: Path) -> None:
    arch = await run(
        session,
        "cowork.architectureBrief",
        {"uris": [(repo / "pkg").as_uri(), (repo / "tests").as_uri()], "focus": "testing"},
    )
    text = artifact_text(arch)
    assert "Focus: testing" in text and "`Engine`" in text and "pkg/cli.py" in text

    research = await run(
        session,
        "cowork.research",
        {
            "question": "Should jobs run in threads or processes?",
            "options": ["threads", "processes"],
            "uris": [(repo / "pkg/engine.py").as_uri()],
        },
    )
    text = artifact_text(research)
    assert "Should jobs run in threads or processes?" in text
    assert "| threads |" in text and "| processes |" in text and "`pkg/engine.py`" in text


async def test_list_tasks_returns_records_newest_first(session: Session, repo: Path) -> None:
    first = await run(session, "cowork.summarizeModule", {"uri": (repo / "pkg/util.py").as_uri()})
    second = await run(session, "cowork.summarizeModule", {"uri": (repo / "pkg/cli.py").as_uri()})
    listed = await session.command("cowork.listTasks")
    assert [t["taskId"] for t in listed][:2] == [second["taskId"], first["taskId"]]
    keys = {
        "taskId",
        "kind",
        "title",
        "state",
        "createdAt",
        "startedAt",
        "finishedAt",
        "artifactUri",
        "error",
        "usage",
        "provider",
        "model",
        "batchId",
    }
    assert keys <= set(listed[0])
    assert set(listed[0]["usage"]) == {
        "inputTokens",
        "outputTokens",
        "cacheReadTokens",
        "cacheWriteTokens",
        "costUsd",
    }


async def test_review_with_nothing_to_review_says_so(session: Session, repo: Path) -> None:
    answer = await session.command("cowork.reviewChanges", {})  # on main, against main
    failed = await session.wait_for(answer["taskId"], "done", "failed")
    assert failed["state"] == "failed"
    assert "HEAD is at its merge-base with main" in failed["error"]
    assert "no committed changes" in failed["error"]
