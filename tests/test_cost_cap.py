"""maxCostUsdPerTask: a task estimated over the cap asks before anything is sent, or
fails with the figures where nobody can be asked. The real server and CLI, the real
anthropic SDK and the local protocol server (which sees whether a request came)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types

from conftest import Session, artifact_of, server_env, start_session, stop_session
from cowork.artifacts import read_provenance
from fakeapi import FakeAnthropic

KEY = "sk-ant-test-cost-0123456789abcdef"


async def summarize_with_cap(
    repo: Path, api: FakeAnthropic, answer: str | None, cap: Any = 0.001
) -> tuple[dict[str, Any], Session, list[str]]:
    env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
    session = await start_session(repo, env=env, init_options={"maxCostUsdPerTask": cap})
    asked: list[str] = []

    @session.client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def question(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        asked.append(params.message)
        return types.MessageActionItem(title=answer) if answer else None

    try:
        started = await session.command(
            "cowork.summarizeModule", {"uri": (repo / "pkg/engine.py").as_uri()}
        )
        done = await session.wait_for(started["taskId"], "done", "failed")
    finally:
        await stop_session(session)
    return done, session, asked


async def test_run_anyway_sends_it_and_provenance_has_both_costs(repo: Path) -> None:
    with FakeAnthropic(text="A summary.") as api:
        done, _, asked = await summarize_with_cap(repo, api, "Run anyway")
    assert done["state"] == "done", done["error"]
    (message,) = asked
    assert "over the $0.0010 cap (cowork.maxCostUsdPerTask)" in message
    assert "output tokens at claude-sonnet-5-5's price" in message
    cost = read_provenance(artifact_of(done))["cost"]
    assert cost["estimatedUsd"] > 0.001 and cost["actualUsd"] == done["usage"]["costUsd"]
    assert len(api.requests_to("/v1/messages")) == 1


async def test_cancel_or_no_answer_sends_nothing(repo: Path) -> None:
    for answer in ("Cancel", None):
        with FakeAnthropic(text="A summary.") as api:
            done, _, asked = await summarize_with_cap(repo, api, answer)
        assert done["state"] == "failed" and len(asked) == 1
        assert "is over cowork.maxCostUsdPerTask ($0.0010)" in done["error"]
        assert api.requests_to("/v1/messages") == []


async def test_a_cap_that_is_no_number_is_a_clear_settings_error_and_no_cap(repo: Path) -> None:
    with FakeAnthropic(text="A summary.") as api:
        done, session, asked = await summarize_with_cap(repo, api, None, cap="cheap")
    assert done["state"] == "done", done["error"]
    assert asked == []
    assert any(
        "cowork.maxCostUsdPerTask" in m.message and "expected a number of US dollars" in m.message
        for m in session.client.messages
    )


def test_the_cli_fails_with_the_figures_and_exit_1(repo: Path) -> None:
    with FakeAnthropic(text="A summary.") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "cowork",
                "run",
                "summarize",
                "pkg/engine.py",
                "-q",
                "--max-cost",
                "0.0001",
            ],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert api.requests_to("/v1/messages") == []
    assert result.returncode == 1
    assert "is over cowork.maxCostUsdPerTask ($0.0001)" in result.stderr
    assert "nobody could be asked" in result.stderr and "input tokens" in result.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "cowork", "run", "summarize", "pkg/engine.py", "--max-cost", "x"],
        cwd=repo,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "--max-cost" in bad.stderr
