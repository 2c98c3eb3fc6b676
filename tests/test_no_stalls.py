"""No stalls in the editor: the server answers while its gathering workers start.

The workers' forkserver is a fresh Python interpreter. When it is slow to start
(a cold disk, a virus scanner, a network-mounted Python), the editor must not
wait for it. Here a `sitecustomize` on PYTHONPATH holds the forkserver's start-up
(and only the forkserver's: it matches its command line) until the test lets it
go, through a FIFO: the test's open-for-writing returns once the forkserver is
stuck reading it, so every request made before the test closes it is answered
while the workers provably cannot have started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import IO

from lsprotocol import types

from conftest import WAIT, raw_code_actions, server_env, start_session, stop_session

HOLD = """
import sys

if any("multiprocessing.forkserver" in arg for arg in sys.orig_argv):
    with open({fifo!r}, encoding="utf-8") as held:
        held.read()
"""


def _release(fifo: Path, writer: IO[str] | None) -> None:
    """Let a forkserver held on `fifo` go on, whatever state the test left it in."""
    if writer is not None:
        writer.close()
        return
    with contextlib.suppress(OSError):  # ENXIO: nobody holds it open for reading
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


async def _held_forkserver(fifo: Path) -> IO[str]:
    """Once the forkserver is stuck on `fifo`: the FIFO's write end (close it to let go)."""
    opening = asyncio.ensure_future(asyncio.to_thread(open, fifo, "w", encoding="utf-8"))
    try:
        return await asyncio.wait_for(asyncio.shield(opening), WAIT)
    except TimeoutError:
        # Unblock the opening thread (a reader appears), so the test can end.
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        (await opening).close()
        os.close(reader)
        raise AssertionError(
            "the server did not start its gathering workers after `initialized`"
        ) from None


async def test_code_actions_are_answered_while_the_workers_are_still_starting(
    repo: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "forkserver-hold"
    os.mkfifo(fifo)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HOLD.format(fifo=str(fifo)), encoding="utf-8")
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    session = await start_session(repo, env=server_env(PYTHONPATH=path))
    writer: IO[str] | None = None
    try:
        # Nothing was handed off yet: the server starts its workers on its own.
        writer = await _held_forkserver(fifo)
        engine = repo / "pkg/engine.py"
        started = await session.command("cowork.summarizeModule", {"uri": engine.as_uri()})
        await session.wait_for(started["taskId"], "running")

        cursor = types.Range(types.Position(2, 4), types.Position(2, 4))
        actions = await raw_code_actions(session, engine, cursor, only=["refactor"])
        listed = await session.command("cowork.listTasks")
        assert "cowork: Summarize this module" in [a["title"] for a in actions]
        assert [(t["taskId"], t["state"]) for t in listed] == [(started["taskId"], "running")]

        # The task waited for the workers, not the event loop: let them start.
        writer.close()
        done = await session.wait_for(started["taskId"], "done", "failed")
        assert done["state"] == "done", done["error"]
        assert done["stale"] is False
    finally:
        _release(fifo, writer)
        await stop_session(session)


async def test_task_changes_say_whether_the_artifact_is_stale(repo: Path) -> None:
    session = await start_session(repo)
    try:
        engine = repo / "pkg/engine.py"
        started = await session.command("cowork.summarizeModule", {"uri": engine.as_uri()})
        done = await session.wait_for(started["taskId"], "done", "failed")
        assert done["state"] == "done", done["error"]
        assert [r["stale"] for r in session.changes] == [False] * len(session.changes)

        # The summarised module changes; marking the artifact reviewed is a task change,
        # and its record says what listTasks says.
        engine.write_text(engine.read_text(encoding="utf-8") + "\nLATE = 1\n", encoding="utf-8")
        await session.command("cowork.markReviewed", {"uri": done["artifactUri"]})
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
    assert changed["stale"] is True
    assert [t["stale"] for t in listed] == [True]
