"""`auto` with an API key: the task is written by Claude, reached through the real SDK."""

from __future__ import annotations

from pathlib import Path

from conftest import Session, server_env, start_session, stop_session
from cowork.artifacts import read_provenance
from cowork.config import DEFAULT_MODEL
from fakeapi import FakeAnthropic

KEY = "sk-ant-test-0123456789abcdef"


async def test_summary_streamed_from_claude_with_a_cached_prefix(repo: Path, editor: str) -> None:
    reply = "## Responsibility\n\nThe engine runs jobs in order.\n" * 5
    with FakeAnthropic(text=reply, cache_write_tokens=300) as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session: Session = await start_session(repo, editor, env=env)
        try:
            answer = await session.command(
                "cowork.summarizeModule", {"uri": (repo / "pkg/engine.py").as_uri()}
            )
            done = await session.wait_for(answer["taskId"], "done", "failed")
        finally:
            await stop_session(session)

    assert done["state"] == "done", done["error"]
    assert done["provider"] == "anthropic" and done["model"] == DEFAULT_MODEL
    usage = done["usage"]
    assert usage["inputTokens"] == 1200 and usage["cacheWriteTokens"] == 300
    assert usage["outputTokens"] == len(reply) // 4 and usage["costUsd"] > 0

    artifact = Path(done["artifactUri"].removeprefix("file://"))
    text = artifact.read_text()
    assert text.count("The engine runs jobs in order.") == 5  # every delta, once, in order
    assert "no model was used" not in text
    assert read_provenance(artifact)["provider"] == "anthropic"

    (request,) = api.requests
    body = request.json
    assert body["stream"] is True and body["model"] == DEFAULT_MODEL
    # The key travels in one auth header and nowhere else in the request.
    assert [k for k, v in request.headers.items() if KEY in v] in (["x-api-key"], ["authorization"])
    assert KEY.encode() not in request.body
    blocks = body["messages"][0]["content"]
    assert blocks[0]["cache_control"] == {"type": "ephemeral"}  # breakpoint after the stable prefix
    assert "files;" in blocks[0]["text"]  # the workspace overview is the stable part
    assert "class Engine" in blocks[1]["text"] and "## Goal" in blocks[1]["text"]
    assert KEY not in text and KEY not in str(done)
