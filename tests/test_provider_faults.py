"""A task handed to Claude finishes, or fails with a message that says what to do.

The real server over stdio, the real anthropic SDK, and the local protocol server
told per test how to fail. Retries are observed on what reached the API (the
recorded requests) and what the user saw (progress, the task record, the file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import (
    Session,
    artifact_of,
    progress_messages,
    server_env,
    start_session,
    stop_session,
    summarize_once,
)
from cowork.artifacts import read_provenance
from fakeapi import BreakStream, FakeAnthropic, Malformed, Reply, Stall, Status, StreamError

KEY = "sk-ant-test-faults-0123456789abcdef"
REPLY = "".join(f"Paragraph {i}: the engine runs jobs in order.\n\n" for i in range(12))


async def run_summary(
    repo: Path, api: FakeAnthropic, settings: dict[str, Any] | None = None
) -> tuple[dict[str, Any], Session]:
    env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
    return await summarize_once(repo, env, settings)


def generations(api: FakeAnthropic) -> int:
    return len(api.requests_to("/v1/messages"))


def assert_complete(done: dict[str, Any]) -> str:
    assert done["state"] == "done", done["error"]
    text = artifact_of(done).read_text()
    assert read_provenance(artifact_of(done))["status"] == "draft"
    for i in range(12):  # every paragraph exactly once: no text of a failed attempt left
        assert text.count(f"Paragraph {i}:") == 1, i
    assert "Incomplete" not in text and "Being written" not in text
    return text


async def test_429_with_retry_after_then_success(repo: Path) -> None:
    with FakeAnthropic(text=REPLY) as api:
        api.script(Status(429, retry_after=0.3), Reply())
        done, session = await run_summary(repo, api)
    assert_complete(done)
    first, second = api.requests_to("/v1/messages")
    assert second.at - first.at >= 0.3  # the server's retry-after was honoured
    assert any(
        "Retrying in 0.3 s (attempt 2 of 6): rate limited (429)" in m
        for m in progress_messages(session)
    )


async def test_529_twice_then_success(repo: Path) -> None:
    with FakeAnthropic(text=REPLY) as api:
        api.script(Status(529), Status(529), Reply())
        done, _ = await run_summary(repo, api)
    assert_complete(done)
    assert generations(api) == 3


async def test_500_then_success(repo: Path) -> None:
    with FakeAnthropic(text=REPLY) as api:
        api.script(Status(500), Reply())
        done, _ = await run_summary(repo, api)
    assert_complete(done)
    assert generations(api) == 2


async def test_stream_cut_midway_then_success_has_no_duplicated_text(repo: Path) -> None:
    with FakeAnthropic(text=REPLY, chunk=40) as api:
        api.script(BreakStream(after_events=8), Reply())
        done, session = await run_summary(repo, api)
    assert_complete(done)
    assert generations(api) == 2
    assert any("the connection broke mid-answer" in m for m in progress_messages(session))


async def test_in_stream_error_and_malformed_event_are_retried(repo: Path) -> None:
    with FakeAnthropic(text=REPLY, chunk=40) as api:
        api.script(StreamError(after_events=6), Malformed(after_events=5), Reply())
        done, _ = await run_summary(repo, api)
    assert_complete(done)
    assert generations(api) == 3


async def test_a_stall_beyond_the_timeout_is_given_up_and_retried(repo: Path) -> None:
    with FakeAnthropic(text=REPLY, chunk=40) as api:
        api.script(Stall(seconds=60, after_events=5), Reply())
        done, session = await run_summary(repo, api, {"requestTimeoutSeconds": 1})
    assert_complete(done)
    first, second = api.requests_to("/v1/messages")
    assert second.at - first.at < 30  # not the stall's 60 s: the 1 s timeout cut it
    assert any("stopped sending" in m for m in progress_messages(session))


async def test_retries_exhausted_fail_clearly_and_keep_the_partial_text(repo: Path) -> None:
    with FakeAnthropic(text=REPLY, chunk=40) as api:
        api.script(
            BreakStream(after_events=8),
            *[Status(503, retry_after=0.01) for _ in range(5)],
        )
        done, _ = await run_summary(repo, api)
    assert done["state"] == "failed"
    assert done["error"] == "the Anthropic API failed (503) (after 6 attempts)"
    assert generations(api) == 6
    kept = artifact_of(done)
    text = kept.read_text()
    assert read_provenance(kept)["status"] == "incomplete"
    assert "> **Incomplete**: the task failed: the Anthropic API failed (503)" in text
    assert "Paragraph 0:" in text  # what arrived before the cut is not lost


async def test_401_fails_at_once_naming_the_fix(repo: Path) -> None:
    with FakeAnthropic(text=REPLY) as api:
        api.script(Status(401))
        done, _ = await run_summary(repo, api)
    assert done["state"] == "failed"
    assert "rejected the API key (401): check ANTHROPIC_API_KEY" in done["error"]
    assert generations(api) == 1
    assert done["artifactUri"] is None  # nothing was written
    assert KEY not in str(done)


async def test_spend_cap_429_without_retry_after_fails_at_once(repo: Path) -> None:
    with FakeAnthropic(text=REPLY) as api:
        api.script(Status(429))
        done, _ = await run_summary(repo, api)
    assert done["state"] == "failed"
    assert "spend or usage limit" in done["error"] and "Anthropic Console" in done["error"]
    assert generations(api) == 1


async def test_the_artifact_grows_on_disk_while_the_model_writes(repo: Path) -> None:
    """The draft appears, marked as being written, before the answer is complete."""
    with FakeAnthropic(text=REPLY, chunk=40) as api:
        api.script(Stall(seconds=60, after_events=10), Reply())
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(repo, "visual_studio_code", env=env)
        try:
            answer = await session.command(
                "cowork.summarizeModule", {"uri": (repo / "pkg/engine.py").as_uri()}
            )
            task_id = answer["taskId"]
            running = await session.wait_until(
                lambda: next(
                    (
                        r
                        for r in session.changes
                        if r["taskId"] == task_id and r["state"] == "running" and r["artifactUri"]
                    ),
                    None,
                ),
                "the running task to point at its draft",
            )
            # Announced once its first text is on disk; the rest is still to come.
            draft = artifact_of(running)
            partial = draft.read_text()
            assert read_provenance(draft)["status"] == "writing"
            assert "Paragraph 0:" in partial and "Paragraph 11:" not in partial
            await session.command("cowork.cancelTask", {"taskId": task_id})
            await session.wait_for(task_id, "cancelled")
        finally:
            await stop_session(session)
    assert not draft.exists()  # a cancelled task leaves nothing
