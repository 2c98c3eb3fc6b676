"""A task handed to a local model behind an OpenAI-compatible endpoint finishes, or
fails with a message that says what to do.

The real server over stdio and the real openai SDK against the local protocol
server, reached through OPENAI_BASE_URL as Ollama or vLLM would be. The one
exception is the closed port (last tests): the provider is driven in-process
with a short backoff so that six real connection attempts take milliseconds
instead of the policy's ~8 s of jittered waits.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from conftest import Session, artifact_of, server_env, summarize_once
from cowork.artifacts import read_provenance
from cowork.config import DEFAULT_MODEL
from cowork.errors import TaskFailure
from cowork.providers.base import GenerationRequest, Prompt
from cowork.providers.openai import OpenAIProvider
from cowork.providers.retry import RetryPolicy
from fakeapi import BreakStream, FakeOpenAI, Malformed, Reply, Stall, Status, StreamError

MODEL = "llama3.1:8b"
SETTINGS = {"provider": "openai", "model": MODEL}
KEY = "sk-local-test-0123456789abcdef"
REPLY = "".join(f"Paragraph {i}: the engine runs jobs in order.\n\n" for i in range(12))
ROUTE = "/v1/chat/completions"


async def run_summary(
    repo: Path,
    api: FakeOpenAI,
    settings: dict[str, Any] | None = None,
    **env: str,
) -> tuple[dict[str, Any], Session]:
    env_ = server_env(OPENAI_BASE_URL=api.base_url, **env)
    return await summarize_once(repo, env_, SETTINGS if settings is None else settings)


def assert_complete(done: dict[str, Any]) -> str:
    assert done["state"] == "done", done["error"]
    text = artifact_of(done).read_text()
    for i in range(12):  # every paragraph exactly once: no text of a failed attempt left
        assert text.count(f"Paragraph {i}:") == 1, i
    assert "Incomplete" not in text and "Being written" not in text
    return text


async def test_streamed_from_a_local_model_in_cache_friendly_order(repo: Path) -> None:
    with FakeOpenAI(text=REPLY, chunk=40, cache_read_tokens=300) as api:
        done, _ = await run_summary(repo, api)

    text = assert_complete(done)
    assert "no model was used" not in text
    assert done["provider"] == "openai" and done["model"] == MODEL
    provenance = read_provenance(artifact_of(done))
    assert provenance["provider"] == "openai" and provenance["status"] == "draft"
    usage = done["usage"]
    # prompt_tokens 1500 of which 300 cached: 1200 uncached input, 300 read from the cache.
    assert usage["inputTokens"] == 1200 and usage["cacheReadTokens"] == 300
    assert usage["outputTokens"] == len(REPLY) // 4
    assert usage["costUsd"] == 0  # a local model has no price

    (request,) = api.requests  # no token-count request: the API has no counter
    assert request.route == ROUTE
    body = request.json
    assert body["model"] == MODEL
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert "cache_control" not in request.body.decode()
    system, user = body["messages"]
    assert system["role"] == "system" and system["content"]
    assert user["role"] == "user" and isinstance(user["content"], str)
    content = user["content"]
    # A lone task: no workspace map (kinds/prefix_plan.py); the module's code, then the brief.
    assert "Workspace map" not in content and "Workspace map" not in system["content"]
    assert 0 <= content.index("class Engine") < content.index("## Goal")
    # No key set: a placeholder, not a real key, goes out (local servers ignore it).
    assert request.headers["authorization"] == "Bearer not-needed"


async def test_a_broken_stream_is_retried_without_duplicated_text(repo: Path) -> None:
    with FakeOpenAI(text=REPLY, chunk=40) as api:
        api.script(BreakStream(after_events=6), Reply())
        done, session = await run_summary(repo, api)
    assert_complete(done)
    assert len(api.requests_to(ROUTE)) == 2
    messages = [
        report.message or ""
        for reports in session.client.progress_reports.values()
        for report in reports
        if isinstance(report, types.WorkDoneProgressReport)
    ]
    assert any("broke mid-answer" in m for m in messages), messages


async def test_5xx_in_stream_error_and_malformed_event_are_retried(repo: Path) -> None:
    with FakeOpenAI(text=REPLY, chunk=40) as api:
        api.script(
            Status(503, retry_after=0.01), StreamError(after_events=4), Malformed(after_events=3)
        )
        done, _ = await run_summary(repo, api)
    assert_complete(done)
    assert len(api.requests_to(ROUTE)) == 4


async def test_a_stall_beyond_request_timeout_seconds_is_given_up_and_retried(repo: Path) -> None:
    with FakeOpenAI(text=REPLY, chunk=40) as api:
        api.script(Stall(seconds=60, after_events=4), Reply())
        done, _ = await run_summary(repo, api, {**SETTINGS, "requestTimeoutSeconds": 1})
    assert_complete(done)
    first, second = api.requests_to(ROUTE)
    assert second.at - first.at < 30  # not the stall's 60 s: the 1 s read timeout cut it


async def test_401_fails_at_once_naming_the_key_variable_without_echoing_it(repo: Path) -> None:
    with FakeOpenAI(text=REPLY) as api:
        api.script(Status(401, message=f"Incorrect API key provided: {KEY}"))
        done, _ = await run_summary(repo, api, OPENAI_API_KEY=KEY)
    assert done["state"] == "failed"
    assert "rejected the API key (401): check OPENAI_API_KEY" in done["error"]
    assert len(api.requests_to(ROUTE)) == 1
    assert done["artifactUri"] is None  # nothing was written
    assert KEY not in str(done)
    (request,) = api.requests  # the key travels in its header and nowhere else
    assert [k for k, v in request.headers.items() if KEY in v] == ["authorization"]
    assert KEY.encode() not in request.body


async def test_404_names_the_model_and_how_to_get_it(repo: Path) -> None:
    with FakeOpenAI(text=REPLY) as api:
        api.script(Status(404, message=f'model "{MODEL}" not found, try pulling it first'))
        done, _ = await run_summary(repo, api)
    assert done["state"] == "failed"
    assert f"the model '{MODEL}' was not found on the server" in done["error"]
    assert f"check cowork.model (for Ollama, `ollama pull {MODEL}`)" in done["error"]
    assert len(api.requests_to(ROUTE)) == 1


async def test_429_without_retry_after_is_a_quota_and_final(repo: Path) -> None:
    with FakeOpenAI(text=REPLY) as api:
        api.script(Status(429))
        done, _ = await run_summary(repo, api)
    assert done["state"] == "failed"
    assert "429 and no retry-after: a quota or usage limit is reached" in done["error"]
    assert len(api.requests_to(ROUTE)) == 1


async def test_the_default_claude_model_is_refused_before_any_request(repo: Path) -> None:
    with FakeOpenAI(text=REPLY) as api:
        done, _ = await run_summary(repo, api, {"provider": "openai"})
    assert done["state"] == "failed"
    assert "set cowork.model (or COWORK_MODEL)" in done["error"]
    assert DEFAULT_MODEL in done["error"]
    assert api.requests == []


# ------------------------------------------------- nothing listening at the base URL


class Sink:
    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.retries: list[tuple[int, int, float, str]] = []

    def text(self, chunk: str) -> None:
        self.chunks.append(chunk)

    def retrying(self, attempt: int, of: int, wait_s: float, why: str) -> None:
        self.retries.append((attempt, of, wait_s, why))


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connecting is refused, and no one else takes it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


async def test_nothing_listening_fails_after_retries_asking_if_the_server_runs(
    closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://user:hunter2@127.0.0.1:{closed_port}/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    request = GenerationRequest(Prompt("system", "stable", "task", "brief"), MODEL, "")
    sink = Sink()
    # The default policy's attempts; only the backoff is shortened (see the module doc).
    provider = OpenAIProvider(policy=RetryPolicy(base_s=0.001))
    with pytest.raises(TaskFailure) as failed:
        await provider.generate(request, sink)
    message = str(failed.value)
    assert message == (
        f"could not connect: is the local model server running at http://127.0.0.1:{closed_port}"
        "/v1? set OPENAI_BASE_URL to its address (after 6 attempts)"
    )
    assert [r[0] for r in sink.retries] == [2, 3, 4, 5, 6]
    assert sink.chunks == []
    assert "hunter2" not in message and KEY not in message
