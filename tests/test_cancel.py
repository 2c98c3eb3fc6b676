"""Cancelling tasks: from the editor's progress UI, by command, while queued, racing the end.

A cancelled task leaves nothing behind (no artifact, no temp file), its
progress ends, and the server keeps serving.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from conftest import Session, artifact_files, start_session, stop_session
from cowork.artifacts import read_provenance

SLOW = 60_000  # ms: far longer than any test waits, so only a cancel can end the task


def token_of(task_id: str) -> str:
    return f"cowork-task-{task_id}"


def progress(session: Session, task_id: str) -> list[Any]:
    return list(session.client.progress_reports.get(token_of(task_id), []))


def has_begun(session: Session, task_id: str) -> bool:
    return any(isinstance(v, types.WorkDoneProgressBegin) for v in progress(session, task_id))


def has_ended(session: Session, task_id: str) -> bool:
    return any(isinstance(v, types.WorkDoneProgressEnd) for v in progress(session, task_id))


def temp_files(root: Path) -> list[Path]:
    """Leftovers of an atomic write (`.<name>.<random>.tmp`) anywhere under .cowork/."""
    return sorted((root / ".cowork").rglob(".*.tmp"))


async def summarize(session: Session, rel: str) -> str:
    answer = await session.command("cowork.summarizeModule", {"uri": (session.root / rel).as_uri()})
    return str(answer["taskId"])


async def assert_progress_ended_cancelled(session: Session, task_id: str) -> None:
    """The editor's progress item for the task is closed, once, saying it was cancelled."""
    await session.wait_until(lambda: has_ended(session, task_id), f"progress end of {task_id}")
    values = progress(session, task_id)
    assert isinstance(values[0], types.WorkDoneProgressBegin)
    assert values[0].cancellable is True
    ends = [v for v in values if isinstance(v, types.WorkDoneProgressEnd)]
    assert len(ends) == 1 and values[-1] is ends[0]
    assert ends[0].message == "Cancelled"


async def test_cancel_from_progress_ui(repo: Path, editor: str) -> None:
    """The editor's cancel button (window/workDoneProgress/cancel) stops a running task."""
    session = await start_session(repo, editor, init_options={"offlineDelayMs": SLOW})
    try:
        task_id = await summarize(session, "pkg/engine.py")
        await session.wait_for(task_id, "running")
        await session.wait_until(lambda: has_begun(session, task_id), "the progress begin")

        session.client.protocol.notify(
            types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
            types.WorkDoneProgressCancelParams(token=token_of(task_id)),
        )

        end = await session.wait_for(task_id, "cancelled", "done", "failed")
        assert end["state"] == "cancelled"
        assert end["artifactUri"] is None and end["error"] is None
        assert session.states(task_id) == ["queued", "running", "cancelled"]
        await assert_progress_ended_cancelled(session, task_id)
        assert artifact_files(repo) == []
        assert temp_files(repo) == []

        # Still serving, and the task list agrees.
        listed = {t["taskId"]: t for t in await session.command("cowork.listTasks")}
        assert listed[task_id]["state"] == "cancelled"
        assert not session.client.shown_documents
    finally:
        await stop_session(session)


async def test_cancel_by_command(repo: Path, editor: str) -> None:
    """cowork.cancelTask stops a running task and answers with its (cancelled) record."""
    session = await start_session(repo, editor, init_options={"offlineDelayMs": SLOW})
    try:
        task_id = await summarize(session, "pkg/util.py")
        await session.wait_for(task_id, "running")

        answer = await session.command("cowork.cancelTask", {"taskId": task_id})
        assert answer["taskId"] == task_id
        assert answer["state"] == "cancelled"
        assert answer["kind"] == "summarize" and answer["finishedAt"]
        assert answer["artifactUri"] is None

        await session.wait_for(task_id, "cancelled")
        assert session.states(task_id) == ["queued", "running", "cancelled"]
        await assert_progress_ended_cancelled(session, task_id)
        assert artifact_files(repo) == []
        assert temp_files(repo) == []

        # Cancelling a finished task changes nothing and says so by returning it as is.
        again = await session.command("cowork.cancelTask", {"taskId": task_id})
        assert again["state"] == "cancelled" and again["finishedAt"] == answer["finishedAt"]
        assert session.states(task_id) == ["queued", "running", "cancelled"]
    finally:
        await stop_session(session)


async def test_cancel_queued_task(repo: Path, editor: str) -> None:
    """With one slot, a queued task cancelled before its turn never runs; the other finishes."""
    session = await start_session(
        repo, editor, init_options={"offlineDelayMs": 800, "maxConcurrentTasks": 1}
    )
    try:
        first = await summarize(session, "pkg/engine.py")
        second = await summarize(session, "pkg/util.py")
        await session.wait_for(first, "running")
        assert session.states(second) == ["queued"]

        answer = await session.command("cowork.cancelTask", {"taskId": second})
        assert answer["state"] == "cancelled" and answer["startedAt"] is None

        done = await session.wait_for(first, "done", "failed")
        assert done["state"] == "done", done["error"]
        # The queue is first in, first out and has one slot: had the cancelled task
        # stayed queued, it would run before this one.
        third = await summarize(session, "pkg/cli.py")
        assert (await session.wait_for(third, "done", "failed"))["state"] == "done"

        assert session.states(second) == ["queued", "cancelled"]
        await assert_progress_ended_cancelled(session, second)
        made = {read_provenance(p)["taskId"] for p in artifact_files(repo)}
        assert made == {first, third}
        assert temp_files(repo) == []
    finally:
        await stop_session(session)


async def test_cancel_from_progress_ui_while_queued(repo: Path, editor: str) -> None:
    """A queued task shows cancellable progress too; cancelling it there dequeues it."""
    session = await start_session(
        repo, editor, init_options={"offlineDelayMs": SLOW, "maxConcurrentTasks": 1}
    )
    try:
        first = await summarize(session, "pkg/engine.py")
        second = await summarize(session, "pkg/util.py")
        await session.wait_for(first, "running")
        await session.wait_until(lambda: has_begun(session, second), "the queued task's progress")
        assert session.states(second) == ["queued"]

        session.client.protocol.notify(
            types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
            types.WorkDoneProgressCancelParams(token=token_of(second)),
        )
        await session.wait_for(second, "cancelled")
        await assert_progress_ended_cancelled(session, second)
        assert session.states(first) == ["queued", "running"]  # the running one is untouched

        await session.command("cowork.cancelTask", {"taskId": first})
        await assert_progress_ended_cancelled(session, first)
        assert session.states(second) == ["queued", "cancelled"]
        assert artifact_files(repo) == [] and temp_files(repo) == []
    finally:
        await stop_session(session)


# Where in a task's life each racing cancel is sent: at once, or once the client has
# seen the task running or a given progress message (or the task already ended).
TRIGGERS = [
    None,
    "running",
    "Gathering context",
    "Context:",
    "Writing with",
    "Writing the artifact",
]


def reached(session: Session, task_id: str, trigger: str | None) -> bool:
    states = session.states(task_id)
    if trigger is None or any(s in ("done", "cancelled", "failed") for s in states):
        return True
    if trigger == "running":
        return "running" in states
    return any(
        isinstance(v, types.WorkDoneProgressReport) and (v.message or "").startswith(trigger)
        for v in progress(session, task_id)
    )


async def test_cancel_racing_completion_leaves_whole_artifact_or_nothing(
    repo: Path, editor: str
) -> None:
    """Cancels that land anywhere in a short task's life (queued, gathering, writing the
    artifact, finishing): each task ends either done with its complete artifact, or
    cancelled with none; never a half-written or temp file."""
    session = await start_session(
        repo, editor, init_options={"maxConcurrentTasks": 2, "offlineDelayMs": 60}
    )
    modules = [
        "pkg/engine.py",
        "pkg/util.py",
        "pkg/cli.py",
        "pkg/__init__.py",
        "tests/test_engine.py",
        "README.md",
    ]
    try:
        ids = [await summarize(session, rel) for rel in modules * 2]
        answers: dict[str, str] = {}
        for i, task_id in enumerate(ids):
            trigger = TRIGGERS[i % len(TRIGGERS)]
            await session.wait_until(
                lambda t=task_id, g=trigger: reached(session, t, g), f"{task_id} to reach {trigger}"
            )
            answer = await session.command("cowork.cancelTask", {"taskId": task_id})
            answers[task_id] = answer["state"]

        finals = {t: await session.wait_for(t, "done", "cancelled", "failed") for t in ids}
        assert set(answers.values()) <= {"done", "cancelled"}
        for task_id, record in finals.items():
            assert record["state"] == answers[task_id]
            assert session.states(task_id)[-1] == record["state"]

        done = {t for t, r in finals.items() if r["state"] == "done"}
        by_task = {read_provenance(p)["taskId"]: p for p in artifact_files(repo)}
        assert set(by_task) == done
        assert len(artifact_files(repo)) == len(done)
        for task_id in done:
            path = Path(finals[task_id]["artifactUri"].removeprefix("file://"))
            assert by_task[task_id] == path
            assert "no model was used" in path.read_text()
        for task_id in set(ids) - done:
            assert finals[task_id]["artifactUri"] is None
        assert temp_files(repo) == []
        await session.wait_until(
            lambda: all(has_ended(session, t) for t in ids), "progress to end for every task"
        )
    finally:
        await stop_session(session)
