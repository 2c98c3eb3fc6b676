"""Nothing is lost: a killed server's running task is re-run by the next server, once.

The server is killed with SIGKILL (no shutdown, no chance to tidy up), as when an
editor crashes or the machine runs out of memory.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from lsprotocol import types

from conftest import WAIT, Session, artifact_files, integrity, start_session, stop_session
from cowork.artifacts import read_provenance

SLOW = {"offlineDelayMs": 60_000}  # a task that is still running when the server is killed
FAST = {"offlineDelayMs": 0}


async def kill(session: Session) -> None:
    """SIGKILL the server, reap it, and release the client without a shutdown handshake."""
    if session.process.returncode is None:
        session.process.kill()
    await asyncio.wait_for(session.process.wait(), WAIT)
    await asyncio.wait_for(stop_session(session), WAIT)  # returncode set: only stops the client


async def summarize(session: Session, rel: str) -> str:
    answer = await session.command("cowork.summarizeModule", {"uri": (session.root / rel).as_uri()})
    return str(answer["taskId"])


async def start_running_task(repo: Path, editor: str) -> tuple[Session, str]:
    session = await start_session(repo, editor, init_options=SLOW)
    try:
        task_id = await summarize(session, "pkg/engine.py")
        await session.wait_for(task_id, "running")
    except BaseException:
        await kill(session)
        raise
    return session, task_id


async def test_killed_task_is_rerun_on_restart(repo: Path, editor: str) -> None:
    first, task_id = await start_running_task(repo, editor)
    await kill(first)
    assert first.process.returncode == -9
    assert integrity(repo) == "ok"  # what a SIGKILL left behind is a sound database
    assert artifact_files(repo) == []

    second = await start_session(repo, editor, init_options=FAST)
    try:
        done = await second.wait_for(task_id, "done", "failed", "cancelled")
        assert done["state"] == "done", done["error"]
        # Told during `initialized`, before this test asked anything.
        assert second.states(task_id) == ["interrupted", "queued", "running", "done"]
        interrupted = second.changes[0]
        assert interrupted["taskId"] == task_id and interrupted["error"] is None

        artifact = Path(done["artifactUri"].removeprefix("file://"))
        assert artifact.is_file() and artifact_files(repo) == [artifact]
        assert read_provenance(artifact)["taskId"] == task_id
        assert any("re-running 1 task" in m.message for m in second.client.messages)

        listed = {t["taskId"]: t for t in await second.command("cowork.listTasks")}
        assert listed[task_id]["state"] == "done"
        assert listed[task_id]["artifactUri"] == done["artifactUri"]
    finally:
        await stop_session(second)
    assert integrity(repo) == "ok"


async def test_task_interrupted_twice_is_not_rerun_again(repo: Path, editor: str) -> None:
    first, task_id = await start_running_task(repo, editor)
    await kill(first)

    # The restart re-runs it (still slow) and is killed too.
    second = await start_session(repo, editor, init_options=SLOW)
    try:
        await second.wait_until(
            lambda: second.states(task_id) == ["interrupted", "queued", "running"],
            "the task to be re-run",
        )
    finally:
        await kill(second)
    assert integrity(repo) == "ok"

    third = await start_session(repo, editor, init_options=FAST)
    try:
        gave_up = await third.wait_until(
            lambda: next(
                (
                    r
                    for r in third.changes
                    if r["taskId"] == task_id and r["state"] == "interrupted" and r["error"]
                ),
                None,
            ),
            "the task to be left interrupted with a reason",
        )
        assert "interrupted twice" in gave_up["error"]

        # Still interrupted when asked, and the server serves new work as usual.
        listed = {t["taskId"]: t for t in await third.command("cowork.listTasks")}
        assert listed[task_id]["state"] == "interrupted"
        assert "interrupted twice" in listed[task_id]["error"]
        fresh_id = await summarize(third, "pkg/util.py")
        fresh = await third.wait_for(fresh_id, "done", "failed")
        assert fresh["state"] == "done", fresh["error"]

        # Told twice (at start, then with the reason), never queued or run.
        assert [r["state"] for r in third.changes if r["taskId"] == task_id] == [
            "interrupted",
            "interrupted",
        ]
        assert [read_provenance(p)["taskId"] for p in artifact_files(repo)] == [fresh_id]
        assert not any("re-running" in m.message for m in third.client.messages)
    finally:
        await stop_session(third)
    assert integrity(repo) == "ok"


async def test_restarted_server_knows_past_tasks_at_once(repo: Path, editor: str) -> None:
    """The first requests after a restart already see the workspace's earlier tasks: the
    task list is complete, and a task being re-run can be cancelled by its id."""
    first = await start_session(repo, editor, init_options=FAST)
    try:
        finished = await first.wait_for(await summarize(first, "pkg/util.py"), "done", "failed")
        assert finished["state"] == "done", finished["error"]
    finally:
        await stop_session(first)

    second, slow_id = await start_running_task(repo, editor)
    await kill(second)

    third = await start_session(repo, editor, init_options=SLOW)
    try:
        # No waiting for notifications first: these are the very first requests.
        listed = {t["taskId"]: t for t in await third.command("cowork.listTasks")}
        cancelled = await third.command("cowork.cancelTask", {"taskId": slow_id})

        assert set(listed) == {finished["taskId"], slow_id}
        assert listed[finished["taskId"]]["state"] == "done"
        assert listed[finished["taskId"]]["artifactUri"] == finished["artifactUri"]
        assert listed[slow_id]["state"] in ("queued", "running")  # being re-run
        assert cancelled["taskId"] == slow_id and cancelled["state"] == "cancelled"
        await third.wait_for(slow_id, "cancelled")
        assert third.states(slow_id)[0] == "interrupted"
    finally:
        await stop_session(third)


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (the gathering workers and their forkserver)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def pipes_of(pid: int) -> set[str]:
    pipes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("pipe:"):
            pipes.add(target)
    return pipes


async def all_exited(pids: set[int], timeout: float) -> set[int]:
    """Wait (bounded) for every one of `pids` to exit; return those still running."""
    loop = asyncio.get_running_loop()
    waits = []
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        exited = loop.create_future()
        loop.add_reader(fd, exited.set_result, None)  # a pidfd turns readable at exit
        waits.append((pid, fd, exited))
    try:
        await asyncio.wait([w[2] for w in waits] or [loop.create_future()], timeout=timeout)
    finally:
        for _, fd, _ in waits:
            loop.remove_reader(fd)
            os.close(fd)
    return {pid for pid, _, exited in waits if not exited.done()}


async def test_killed_server_leaves_no_process_or_pipe_behind(repo: Path, editor: str) -> None:
    """The processes the server starts for gathering never hold the protocol's pipes and
    end with the server, so an editor sees the server gone at once and nothing leaks."""
    session = await start_session(repo, editor, init_options=SLOW)
    try:
        await summarize(session, "pkg/engine.py")
        await session.wait_until(  # context gathered: the worker processes exist
            lambda: any(
                isinstance(v, types.WorkDoneProgressReport)
                and (v.message or "").startswith("Writing with")
                for reports in session.client.progress_reports.values()
                for v in reports
            ),
            "the task to reach the model stage",
        )
        helpers = descendants(session.process.pid)
        assert helpers, "gathering ran in no helper process"
        # The protocol's pipes: what the editor and the server share, but stderr (the
        # server's log, where a helper's own error output belongs too).
        server = session.process.pid
        protocol = pipes_of(os.getpid()) & pipes_of(server)
        protocol.discard(os.readlink(f"/proc/{server}/fd/2"))
        assert len(protocol) == 2
        for pid in helpers:
            assert not pipes_of(pid) & protocol, f"helper {pid} holds the protocol's pipes"
    finally:
        await kill(session)  # bounded: fails if anything kept the server's pipes open
    assert await all_exited(helpers, WAIT) == set()
