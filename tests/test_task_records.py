"""Task records carry what it takes to run a task again (`params`, `briefUri`), in
`cowork.listTasks`, in `cowork/taskChanged`, after a restart and for tasks a
database of an earlier version holds; and a client that shows task notifications
itself (`"notifications": "client"`) gets no messages from the server for them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from conftest import Session, start_session, stop_session, without_show_document
from repos import sample_repo


async def run(session: Session, command: str, arg: dict[str, Any]) -> dict[str, Any]:
    answer = await session.command(command, arg)
    return await session.wait_for(answer["taskId"], "done", "failed")


def by_id(tasks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {t["taskId"]: t for t in tasks}


async def test_params_and_brief_uri_let_a_client_run_any_task_again(tmp_path: Path) -> None:
    repo = sample_repo(tmp_path / "sample")
    engine_uri = (repo / "pkg/engine.py").as_uri()
    research = {"question": "Queue or threads?", "options": ["a queue", "threads"]}
    session = await start_session(repo)
    try:
        summary = await run(session, "cowork.summarizeModule", {"uri": engine_uri})
        weighed = await run(session, "cowork.research", research)
        brief = await session.command(
            "cowork.newBrief", {"kind": "summarize", "uris": [(repo / "pkg/util.py").as_uri()]}
        )
        answer = await session.command("cowork.dispatchBrief", {"uri": brief["uri"]})
        briefed = await session.wait_for(answer["taskId"], "done", "failed")

        # cowork/taskChanged carries them from the first change on.
        assert (summary["params"], summary["briefUri"]) == ({"uri": engine_uri}, None)
        assert (weighed["params"], weighed["briefUri"]) == (research, None)
        assert briefed["briefUri"] == brief["uri"]
        assert briefed["params"] == {"uri": (repo / "pkg/util.py").as_uri()}
        first = next(c for c in session.changes if c["taskId"] == summary["taskId"])
        assert first["state"] == "queued" and first["params"] == {"uri": engine_uri}

        listed = by_id(await session.command("cowork.listTasks"))
        for record in (summary, weighed, briefed):
            shown = listed[record["taskId"]]
            assert (shown["params"], shown["briefUri"]) == (record["params"], record["briefUri"])

        # Running a task again is sending its command its params again.
        again = await run(session, "cowork.research", listed[weighed["taskId"]]["params"])
        assert again["state"] == "done" and again["title"] == weighed["title"]
        assert again["params"] == research
    finally:
        await stop_session(session)

    restarted = await start_session(repo)
    try:
        listed = by_id(await restarted.command("cowork.listTasks"))
        assert listed[summary["taskId"]]["params"] == {"uri": engine_uri}
        assert listed[weighed["taskId"]]["params"] == research
        assert listed[briefed["taskId"]]["briefUri"] == brief["uri"]
        assert listed[summary["taskId"]]["briefUri"] is None
    finally:
        await stop_session(restarted)


# The task table as the first releases made it: no params, no brief_uri.
OLD_TASKS = """
CREATE TABLE tasks (
    task_id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, state TEXT NOT NULL,
    request TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,
    artifact_uri TEXT, error TEXT, usage TEXT NOT NULL DEFAULT '{}', provider TEXT,
    model TEXT, batch_id TEXT, resumed INTEGER NOT NULL DEFAULT 0, owner_pid INTEGER,
    batch_wait TEXT
);
"""


async def test_a_database_of_an_earlier_version_is_migrated_in_place(tmp_path: Path) -> None:
    repo = sample_repo(tmp_path / "sample")
    state = repo / ".cowork" / "state"
    state.mkdir(parents=True)
    db = sqlite3.connect(state / "tasks.db")
    db.executescript(OLD_TASKS)
    request = json.dumps(
        {
            "kind": "docs",
            "workspace": str(repo),
            "params": {"base": "main", "notes": ["NOTES.md"]},
            "briefUri": None,
            "brief": None,
        }
    )
    db.execute(
        "INSERT INTO tasks (task_id, kind, title, state, request, created_at, finished_at, error) "
        "VALUES ('0123456789ab', 'docs', 'Docs for the change since main', 'failed', ?, "
        "'2026-01-02T03:04:05.000Z', '2026-01-02T03:04:06.000Z', 'no changes')",
        (request,),
    )
    db.commit()
    db.close()

    session = await start_session(repo)
    try:
        (old,) = await session.command("cowork.listTasks")
        # Made from the request an earlier version kept: the command's own keys.
        assert old["params"] == {"base": "main", "notes": [(repo / "NOTES.md").as_uri()]}
        assert old["briefUri"] is None
        summary = await run(
            session, "cowork.summarizeModule", {"uri": (repo / "pkg/util.py").as_uri()}
        )
    finally:
        await stop_session(session)
    db = sqlite3.connect(state / "tasks.db")
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(tasks)")}
        (kept,) = db.execute("SELECT params FROM tasks WHERE task_id = ?", (summary["taskId"],))
    finally:
        db.close()
    assert {"params", "brief_uri"} <= columns
    assert json.loads(kept[0]) == {"uri": (repo / "pkg/util.py").as_uri()}


async def finish_and_fail(
    repo: Path, editor: str, options: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """A task that is done and one that fails, in a client without showDocument; their
    last records and every message the server showed until it stopped."""
    session = await start_session(
        repo, editor, init_options=options, capabilities=without_show_document(editor)
    )
    try:
        done = await run(session, "cowork.summarizeModule", {"uri": (repo / "pkg/x.py").as_uri()})
        failed = await run(session, "cowork.reviewChanges", {})  # HEAD is at its base
    finally:
        await stop_session(session)  # after the shutdown, every message sent is in
    return done, failed, [m.message for m in session.client.messages]


async def test_notifications_client_leaves_finished_and_failed_tasks_to_the_client(
    tmp_path: Path, editor: str
) -> None:
    """Without showDocument the server says "… is ready: PATH" in a message, and a failed
    task gets an error message: not when the client notifies the user itself."""
    repo = sample_repo(tmp_path / "sample")
    (repo / "pkg/x.py").write_text('"""X."""\n')

    done, failed, told = await finish_and_fail(repo, editor, {})
    assert (done["state"], failed["state"]) == ("done", "failed")
    assert any(m.startswith("cowork: Summary of pkg/x.py is ready: ") for m in told), told
    assert any(failed["error"] in m for m in told), told

    done, failed, told = await finish_and_fail(repo, editor, {"notifications": "client"})
    # The client still learns everything from the task changes.
    assert done["state"] == "done" and done["artifactUri"]
    assert failed["state"] == "failed" and failed["error"]
    assert not [m for m in told if "is ready" in m or failed["error"] in m], told
