"""What a task cost: tokens and dollars, from the provider's usage and the price table
(with the `prices` setting over it), in the task record and in `cowork tasks`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import server_env, start_session, stop_session, summarize_once
from fakeapi import FakeAnthropic, Reply

KEY = "sk-ant-test-usage-0123456789"


async def test_cost_from_the_prices_setting_in_record_and_cli(repo: Path) -> None:
    prices = {
        "claude-sonnet": {"input": 10, "output": 100},
        "claude-sonnet-5": {"input": 2, "output": 20},
    }
    with FakeAnthropic() as api:
        api.script(
            Reply(
                text="A summary.",
                input_tokens=2000,
                output_tokens=500,
                cache_read_tokens=10_000,
                cache_write_tokens=4000,
            )
        )
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        done, _ = await summarize_once(repo, env, {"prices": prices})
    assert done["state"] == "done", done["error"]
    # The longest matching prefix wins: claude-sonnet-5 at $2 / $20 per million.
    expected = (2000 * 2 + 4000 * 2 * 1.25 + 10_000 * 2 * 0.1 + 500 * 20) / 1e6
    assert done["usage"] == {
        "inputTokens": 2000,
        "outputTokens": 500,
        "cacheReadTokens": 10_000,
        "cacheWriteTokens": 4000,
        "costUsd": pytest.approx(expected),
    }

    table = subprocess.run(
        [sys.executable, "-m", "cowork", "tasks"],
        cwd=repo,
        env=server_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    row = next(line for line in table.splitlines() if line.startswith(done["taskId"]))
    assert "16.0k in (10.0k cached) 500 out" in row
    assert f"${expected:.4f}" in row


async def test_a_bad_prices_value_is_refused_with_an_example(repo: Path) -> None:
    session = await start_session(
        repo, "visual_studio_code", init_options={"prices": {"claude": {"input": "cheap"}}}
    )
    try:
        message = await session.wait_until(
            lambda: next((m for m in session.client.messages if "prices" in m.message), None),
            "a message about the prices setting",
        )
    finally:
        await stop_session(session)
    assert '{"claude-sonnet": {"input": 3, "output": 15}}' in message.message
