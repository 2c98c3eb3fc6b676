"""The API key never leaves the process except in its one request header: not in
logs (at DEBUG), messages to the editor, task records, the task database, artifacts
or error messages, on success, after retries, and on a rejected key."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import server_env, start_session, stop_session
from fakeapi import BreakStream, FakeAnthropic, Reply, Status

KEY = "sk-ant-api03-PRIVATE-do-not-leak-0123456789abcdefghij"


async def test_the_api_key_appears_nowhere_but_its_header(
    repo: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with FakeAnthropic(text="A summary of the engine.\n" * 20, chunk=30) as api:
        api.script(Status(429, retry_after=0.01), BreakStream(after_events=6), Reply())
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(repo, "visual_studio_code", env=env, log_level="DEBUG")
        try:
            ok = await session.command(
                "cowork.summarizeModule", {"uri": (repo / "pkg/engine.py").as_uri()}
            )
            done = await session.wait_for(ok["taskId"], "done", "failed")
            api.script(Status(401))
            bad = await session.command(
                "cowork.summarizeModule", {"uri": (repo / "pkg/util.py").as_uri()}
            )
            failed = await session.wait_for(bad["taskId"], "done", "failed")
            listed = await session.command("cowork.listTasks")
        finally:
            await stop_session(session)
    assert done["state"] == "done", done["error"]
    assert failed["state"] == "failed" and "401" in failed["error"]

    # Every request carried the key, in exactly one auth header.
    for r in api.requests:
        assert [k for k, v in r.headers.items() if KEY in v] in (["authorization"], ["x-api-key"])
        assert KEY.encode() not in r.body

    secret = KEY.encode()
    log = capfd.readouterr()
    assert "DEBUG" in log.err  # the server's own log was captured, at its most verbose
    assert KEY not in log.err and KEY not in log.out
    client = session.client
    seen = [*session.changes, *client.log_messages, *client.messages, listed]
    seen += [v for reports in client.progress_reports.values() for v in reports]
    assert KEY not in repr(seen)
    files = [p for p in (repo / ".cowork").rglob("*") if p.is_file()]
    assert any(p.suffix == ".md" for p in files) and any(p.name == "tasks.db" for p in files)
    for path in files:  # artifacts, the database and its WAL, everything cowork wrote
        assert secret not in path.read_bytes(), path
