"""maxConcurrentTasks: never more tasks running than the limit, the limit used, and a
limit raised through workspace/didChangeConfiguration starts queued tasks at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from conftest import Session, start_session, stop_session
from cowork.artifacts import read_provenance

MODULES = ["pkg/engine.py", "pkg/util.py", "pkg/cli.py", "pkg/__init__.py", "tests/test_engine.py"]


def running_counts(changes: list[dict[str, Any]]) -> list[int]:
    """Replay the task changes in the order the client got them: how many tasks were
    running after each one."""
    state: dict[str, str] = {}
    counts = []
    for record in changes:
        state[record["taskId"]] = record["state"]
        counts.append(sum(1 for s in state.values() if s == "running"))
    return counts


async def summarize(session: Session, rel: str) -> str:
    answer = await session.command("cowork.summarizeModule", {"uri": (session.root / rel).as_uri()})
    return str(answer["taskId"])


async def test_limit_is_respected_and_used(repo: Path, editor: str) -> None:
    session = await start_session(
        repo, editor, init_options={"maxConcurrentTasks": 3, "offlineDelayMs": 300}
    )
    try:
        # All of the same module: tasks with the same title finish together, in the
        # same second, and must still each keep their own artifact.
        ids = [await summarize(session, "pkg/engine.py") for _ in range(10)]
        finals = [await session.wait_for(t, "done", "failed", "cancelled") for t in ids]
        assert [f["state"] for f in finals] == ["done"] * 10, [f["error"] for f in finals]
        for task_id in ids:
            assert session.states(task_id) == ["queued", "running", "done"]

        assert max(running_counts(session.changes)) == 3

        # Ten tasks, ten distinct artifacts, each the one its record names.
        paths = [Path(f["artifactUri"].removeprefix("file://")) for f in finals]
        assert len(set(paths)) == 10
        for task_id, path in zip(ids, paths, strict=True):
            assert path.is_file()
            assert read_provenance(path)["taskId"] == task_id
        assert sorted((repo / ".cowork" / "artifacts").glob("*.md")) == sorted(paths)
    finally:
        await stop_session(session)


async def test_raising_the_limit_starts_queued_tasks(repo: Path, editor: str) -> None:
    session = await start_session(
        repo, editor, init_options={"maxConcurrentTasks": 1, "offlineDelayMs": 600}
    )
    try:
        ids = [await summarize(session, MODULES[i]) for i in range(5)]
        await session.wait_for(ids[0], "running")
        assert max(running_counts(session.changes)) == 1
        # (Under load the first may already be done and the second running.)
        assert sum(session.states(t) == ["queued"] for t in ids) >= 3

        # The editor's settings change; like VS Code and Neovim, the client only
        # says "changed" and the server pulls the new values (workspace/configuration).
        session.client.set_configuration({"maxConcurrentTasks": 3}, section="cowork")
        session.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={})
        )

        await session.wait_until(
            lambda: max(running_counts(session.changes)) >= 3, "three tasks running at once"
        )
        finals = [await session.wait_for(t, "done", "failed", "cancelled") for t in ids]
        assert [f["state"] for f in finals] == ["done"] * 5
        assert max(running_counts(session.changes)) == 3
    finally:
        await stop_session(session)
