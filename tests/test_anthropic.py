"""`auto` with an API key: the task is written by Claude, reached through the real SDK."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import (
    Session,
    artifact_of,
    server_env,
    start_session,
    stop_session,
    summarize_once,
)
from cowork.artifacts import read_provenance
from cowork.config import DEFAULT_MODEL
from fakeapi import FakeAnthropic
from test_prefix_plan import bulk, hand_off, widen

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

    count, request = api.requests  # the prompt is counted first, then sent
    assert count.path == "/v1/messages/count_tokens"
    body = request.json
    assert body["stream"] is True and body["model"] == DEFAULT_MODEL
    # The key travels in one auth header and nowhere else in the request.
    assert [k for k, v in request.headers.items() if KEY in v] in (["x-api-key"], ["authorization"])
    assert KEY.encode() not in request.body
    # A lone task in a small workspace: its own context alone, no map, no breakpoint
    # (the map is below the minimum cacheable length, and nothing would reuse it).
    (block,) = body["messages"][0]["content"]
    assert "cache_control" not in request.body.decode() and "Workspace map" not in block["text"]
    assert "class Engine" in block["text"] and "## Goal" in block["text"]
    assert read_provenance(artifact)["prefix"]["sent"] is False
    assert KEY not in text and KEY not in str(done)


async def test_provider_count_over_budget_refits_the_context(repo: Path) -> None:
    """The local estimate says it fits; Claude's own count says not: cowork fits again."""
    # ~6,000 characters of code, ~2,800 of outline: fits the local estimate whole.
    big = "\n".join(
        f'def f{i}(x):\n    """Add {i}."""\n    y = x * 2\n    return y + {i}\n' for i in range(100)
    )
    (repo / "pkg/big.py").write_text(f'"""Many small functions."""\n{big}\n')
    budget = 5000
    # 1.2 characters per token: about 2.5x the local estimate (3 per token).
    with FakeAnthropic(text="A summary.", chars_per_token=1.2) as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        done, _ = await summarize_once(repo, env, {"contextBudgetTokens": budget}, rel="pkg/big.py")
    assert done["state"] == "done", done["error"]
    counts = [r for r in api.requests if r.path == "/v1/messages/count_tokens"]
    sent = [r for r in api.requests if r.path == "/v1/messages"]
    assert len(counts) >= 2 and len(sent) == 1
    assert api.count(counts[0].json) > budget  # the first fit was over by Claude's count
    assert api.count(sent[0].json) <= budget  # what was sent is within it
    prov = read_provenance(Path(done["artifactUri"].removeprefix("file://")))
    assert any(
        "pkg/big.py" in c["what"] and "outline" in c["reason"] for c in prov["context"]["cut"]
    )


async def test_two_tasks_send_a_byte_identical_stable_prefix(repo: Path) -> None:
    """Two summaries of big modules handed off together in a workspace whose map is long
    enough to cache and small next to them: the system prompt and the stable block up
    to the cache breakpoint are the same bytes, so the second reads them from the cache."""
    widen(repo, 40)
    bulk(repo, "pkg/big_a.py", "pkg/big_b.py")
    plans: list[dict[str, object]] = []
    with FakeAnthropic(text="A draft.") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(
            repo, "visual_studio_code", env=env, init_options={"maxConcurrentTasks": 1}
        )
        try:
            ids = await hand_off(session, "pkg/big_a.py", "pkg/big_b.py")
            for task_id in ids:
                done = await session.wait_for(task_id, "done", "failed")
                assert done["state"] == "done", done["error"]
                plans.append(read_provenance(artifact_of(done))["prefix"])
        finally:
            await stop_session(session)
    first, second = (r.json for r in api.requests_to("/v1/messages"))

    def prefix(body: dict[str, object]) -> str:
        messages = body["messages"]
        assert isinstance(messages, list)
        stable = messages[0]["content"][0]
        assert stable["cache_control"] == {"type": "ephemeral"}
        return json.dumps([body["system"], stable], sort_keys=True)

    assert prefix(first) == prefix(second)
    assert "Workspace map" in prefix(first) and "pkg/area039.py" in prefix(first)
    # The first wrote it because the second was waiting; the second read it.
    assert [p["cache"] for p in plans] == ["write", "read"]
    # What follows the breakpoint is each task's own.
    assert first["messages"][0]["content"][1] != second["messages"][0]["content"][1]
