"""The protocol fakes speak the wire protocols: the real SDKs, in-process, prove it.

Each test drives `FakeAnthropic` or `FakeOpenAI` with `anthropic.AsyncAnthropic` or
`openai.AsyncOpenAI` and checks what the SDK makes of the answer: the types it
parses, the exceptions it raises, the retries it makes (counted in the fake's
record, never timed by the test).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from pydantic import BaseModel

from fakeapi import (
    BreakStream,
    Expired,
    FakeAnthropic,
    FakeOpenAI,
    Malformed,
    Reply,
    Stall,
    Status,
    StreamError,
)

MODEL = "claude-sonnet-5-5"
ASK: dict[str, Any] = {
    "model": MODEL,
    "max_tokens": 256,
    "messages": [{"role": "user", "content": "Hi"}],
}
GPT: dict[str, Any] = {"model": "gpt-5.5", "messages": [{"role": "user", "content": "Hi"}]}
TEXT = "The engine runs jobs in order, one at a time."  # 6 deltas of 8 characters


@pytest.fixture
def api() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(text=TEXT) as fake:
        yield fake


@pytest.fixture
def gpt() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(text=TEXT) as fake:
        yield fake


@pytest.fixture
async def claude(api: FakeAnthropic) -> AsyncIterator[anthropic.AsyncAnthropic]:
    """A client without retries: each call is one request."""
    async with anthropic.AsyncAnthropic(
        base_url=api.base_url, api_key="test-key", max_retries=0
    ) as client:
        yield client


@pytest.fixture
async def oai(gpt: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=gpt.base_url, api_key="test-key", max_retries=0) as c:
        yield c


async def stream(client: anthropic.AsyncAnthropic, seen: list[str] | None = None) -> Any:
    """Stream ASK; the text deltas go to `seen` as they arrive."""
    seen = [] if seen is None else seen
    async with client.messages.stream(**ASK) as s:
        async for text in s.text_stream:
            seen.append(text)
        return await s.get_final_message()


async def chat(client: openai.AsyncOpenAI, seen: list[Any] | None = None) -> list[Any]:
    seen = [] if seen is None else seen
    chunks = await client.chat.completions.create(
        **GPT, stream=True, stream_options={"include_usage": True}
    )
    async for chunk in chunks:
        seen.append(chunk)
    return seen


# ---------------------------------------------------------------- Anthropic: answers


async def test_stream_delivers_every_delta_and_the_usage_with_cache_fields() -> None:
    with FakeAnthropic(text=TEXT, cache_read_tokens=700, cache_write_tokens=300) as api:
        async with anthropic.AsyncAnthropic(base_url=api.base_url, api_key="test-key") as client:
            seen: list[str] = []
            final = await stream(client, seen)

    assert seen == [TEXT[i : i + 8] for i in range(0, len(TEXT), 8)]
    assert final.content[0].text == TEXT and final.stop_reason == "end_turn"
    usage = final.usage
    assert (usage.input_tokens, usage.output_tokens) == (1200, len(TEXT) // 4)
    assert usage.cache_read_input_tokens == 700 and usage.cache_creation_input_tokens == 300
    assert (
        usage.cache_creation is not None and usage.cache_creation.ephemeral_5m_input_tokens == 300
    )

    (request,) = api.requests
    assert (request.method, request.path) == ("POST", "/v1/messages")
    assert request.json["stream"] is True and request.json["model"] == MODEL
    assert "anthropic-version" in request.headers
    # This SDK sends the key as a bearer token; the fake accepts that or x-api-key.
    key = request.headers.get("x-api-key") or request.headers["authorization"]
    assert key.removeprefix("Bearer ") == "test-key"
    assert request.step is None  # no script: the normal answer


async def test_scripted_json_reply_then_the_normal_answer(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    doc = {"findings": [{"file": "a.py", "line": 3, "message": "unused import"}]}
    api.script(Reply(json=doc, input_tokens=50, cache_read_tokens=40, cache_write_tokens=30))
    schema = {"type": "object", "properties": {"findings": {"type": "array"}}}
    message = await claude.messages.create(
        **ASK, output_config={"format": {"type": "json_schema", "schema": schema}}
    )
    assert json.loads(message.content[0].text) == doc
    u = message.usage
    assert (u.input_tokens, u.cache_read_input_tokens, u.cache_creation_input_tokens) == (
        50,
        40,
        30,
    )
    assert api.requests[0].json["output_config"]["format"]["type"] == "json_schema"

    assert (await claude.messages.create(**ASK)).content[0].text == TEXT  # script used up
    assert api.pending() == []


async def test_structured_output_streams_and_parses_into_a_model(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    class Findings(BaseModel):
        findings: list[str]

    api.script(Reply(json={"findings": ["a", "b"]}, chunk=5), Reply(json={"findings": ["c"]}))
    final = await stream(claude)
    assert Findings.model_validate_json(final.content[0].text).findings == ["a", "b"]
    parsed = await claude.messages.parse(**ASK, output_format=Findings)
    assert parsed.parsed_output == Findings(findings=["c"])


async def test_scripted_steps_are_each_consumed_once_under_concurrency(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    api.script(*(Reply(text=f"answer {i}") for i in range(12)))
    finals = await asyncio.gather(*(stream(claude) for _ in range(12)))
    assert sorted(f.content[0].text for f in finals) == sorted(f"answer {i}" for i in range(12))


async def test_count_tokens_and_models(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    count = await claude.messages.count_tokens(
        model=MODEL, system="12345678", messages=[{"role": "user", "content": "abcd"}]
    )
    assert count.input_tokens == 3  # 12 characters at 4 per token
    models = [m.id async for m in claude.models.list()]
    assert MODEL in models
    assert (await claude.models.retrieve(MODEL)).display_name
    assert [r.route for r in api.requests] == [
        "/v1/messages/count_tokens",
        "/v1/models",
        f"/v1/models/{MODEL}",
    ]
    # Only generation requests consume the default script; other paths have their own.
    api.script(Status(500), path="/v1/messages/count_tokens")
    with pytest.raises(anthropic.InternalServerError):
        await claude.messages.count_tokens(model=MODEL, messages=ASK["messages"])


# ---------------------------------------------------------------- Anthropic: statuses


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (403, anthropic.PermissionDeniedError, "permission_error"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
async def test_a_status_raises_the_sdk_class_with_the_error_body(
    api: FakeAnthropic,
    claude: anthropic.AsyncAnthropic,
    status: int,
    error: type[anthropic.APIStatusError],
    kind: str,
) -> None:
    api.script(Status(status, message="scripted"))
    with pytest.raises(error) as raised:
        await stream(claude)
    assert raised.value.status_code == status and raised.value.type == kind
    assert raised.value.body == {
        "type": "error",
        "error": {"type": kind, "message": "scripted"},
        "request_id": None,
    }
    assert "retry-after" not in raised.value.response.headers
    assert raised.value.request_id and raised.value.request_id.startswith("req_fake_")


async def test_the_sdk_honours_retry_after_and_succeeds_on_the_next_attempt(
    api: FakeAnthropic,
) -> None:
    api.script(
        Status(429, retry_after=0.2),
        Status(529, headers=(("retry-after-ms", "10"),)),
        Reply(text="third time"),
    )
    async with anthropic.AsyncAnthropic(base_url=api.base_url, api_key="k") as client:
        final = await stream(client)  # the SDK's own retries (2 by default)
    assert final.content[0].text == "third time"
    first, second, third = api.requests
    assert [r.headers["x-stainless-retry-count"] for r in api.requests] == ["0", "1", "2"]
    assert second.at - first.at >= 0.2  # waited as told, by the fake's clock
    assert isinstance(first.step, Status) and isinstance(third.step, Reply)


async def test_a_429_without_retry_after_shows_no_header(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    api.script(Status(429, retry_after=3), Status(429))
    with pytest.raises(anthropic.RateLimitError) as told:
        await claude.messages.create(**ASK)
    assert told.value.response.headers["retry-after"] == "3"
    with pytest.raises(anthropic.RateLimitError) as silent:
        await claude.messages.create(**ASK)
    assert "retry-after" not in silent.value.response.headers
    assert len(api.requests) == 2


async def test_a_wrong_key_is_refused_when_the_fake_has_one() -> None:
    with FakeAnthropic(api_key="right") as api:
        async with anthropic.AsyncAnthropic(
            base_url=api.base_url, api_key="wrong", max_retries=0
        ) as client:
            with pytest.raises(anthropic.AuthenticationError):
                await client.messages.create(**ASK)
            right = client.with_options(api_key="right")
            assert (await right.messages.create(**ASK)).content[0].text


# ---------------------------------------------------------------- Anthropic: broken streams


async def test_a_broken_stream_raises_a_transport_error_after_the_first_deltas(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    # Events: message_start, content_block_start, ping, delta, delta | cut.
    api.script(BreakStream(after_events=5))
    seen: list[str] = []
    with pytest.raises(httpx2.RemoteProtocolError, match="incomplete chunked read"):
        await stream(claude, seen)
    assert "".join(seen) == TEXT[:16]
    assert (await stream(claude)).content[0].text == TEXT  # the next request is answered


async def test_a_cut_non_streamed_answer_is_a_connection_error_the_sdk_retries(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    api.script(BreakStream(), BreakStream(), Reply(text="whole"))
    with pytest.raises(anthropic.APIConnectionError):
        await claude.messages.create(**ASK)
    retrying = claude.with_options(max_retries=1)
    assert (await retrying.messages.create(**ASK)).content[0].text == "whole"
    assert len(api.requests) == 3


async def test_a_malformed_event_raises(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    api.script(Malformed(after_events=4), Malformed(after_events=2))
    seen: list[str] = []
    with pytest.raises(json.JSONDecodeError):
        await stream(claude, seen)
    assert seen == [TEXT[:8]]
    with pytest.raises(ValueError):  # even in place of a ping, which the SDK skips unread
        await stream(claude)


async def test_an_in_stream_error_event_raises_an_api_status_error(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    api.script(StreamError(after_events=4))
    seen: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as raised:
        await stream(claude, seen)
    # The HTTP status was 200: the SDK's class is the generic one, the kind is in `.type`.
    assert raised.value.type == "overloaded_error" and raised.value.status_code == 200
    assert not isinstance(raised.value, anthropic.OverloadedError)
    assert raised.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    assert seen == [TEXT[:8]]


async def test_a_stream_error_on_a_plain_request_is_its_status(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    api.script(StreamError(), StreamError(error_type="api_error", message="boom"))
    with pytest.raises(anthropic.OverloadedError):
        await claude.messages.create(**ASK)
    with pytest.raises(anthropic.InternalServerError, match="boom"):
        await claude.messages.create(**ASK)


# ---------------------------------------------------------------- Anthropic: stalls


async def test_a_stall_before_the_headers_times_the_sdk_out(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    api.script(Stall(seconds=30))
    with pytest.raises(anthropic.APITimeoutError):
        await stream(claude.with_options(timeout=0.3))
    assert len(api.requests) == 1


async def test_a_stall_mid_stream_raises_a_read_timeout(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    api.script(Stall(seconds=30, after_events=4))
    seen: list[str] = []
    with pytest.raises(httpx2.ReadTimeout):
        await stream(claude.with_options(timeout=0.3), seen)
    assert seen == [TEXT[:8]]


async def test_a_short_stall_then_the_whole_answer(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    api.script(Stall(seconds=0.05), Stall(seconds=0.05, after_events=3))
    assert (await stream(claude)).content[0].text == TEXT
    assert (await claude.messages.create(**ASK)).content[0].text == TEXT


async def test_a_stall_blocks_neither_other_requests_nor_close() -> None:
    api = FakeAnthropic(text=TEXT)
    api.start()
    try:
        async with anthropic.AsyncAnthropic(
            base_url=api.base_url, api_key="k", max_retries=0
        ) as client:
            api.script(Stall(seconds=60))
            stalled = asyncio.create_task(stream(client))
            await api.until_requests(1, "/v1/messages")
            assert (await stream(client)).content[0].text == TEXT  # answered meanwhile
            assert not stalled.done()
            started = time.monotonic()
            api.close()
            assert time.monotonic() - started < 2
            with pytest.raises(anthropic.APIConnectionError):
                await stalled  # the fake hung up on it
    finally:
        api.close()


# ---------------------------------------------------------------- Anthropic: batches


def batch_requests(*ids: str) -> list[Any]:
    return [{"custom_id": i, "params": ASK} for i in ids]


async def test_a_batch_runs_until_ended_and_its_results_parse(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    api.batch_results(
        {
            "ok": Reply(json={"findings": []}, cache_read_tokens=900),
            "bad": Status(400, message="prompt is too long"),
            "late": Expired(),
        }
    )
    created = await claude.messages.batches.create(
        requests=batch_requests("ok", "bad", "late", "x")
    )
    assert created.processing_status == "in_progress" and created.results_url is None
    assert created.request_counts.processing == 4
    assert created.expires_at > created.created_at
    assert api.requests[0].json["requests"][0] == {"custom_id": "ok", "params": ASK}

    batch = await claude.messages.batches.retrieve(created.id)
    assert batch.processing_status == "in_progress"
    with pytest.raises(anthropic.AnthropicError, match="No `results_url`"):
        await claude.messages.batches.results(created.id)

    api.end_batches()
    # A new client, as after the client's process restarted, finds the batch ended.
    async with anthropic.AsyncAnthropic(base_url=api.base_url, api_key="k") as restarted:
        batch = await restarted.messages.batches.retrieve(created.id)
        assert batch.processing_status == "ended" and batch.ended_at is not None
        assert batch.results_url == f"{api.base_url}/v1/messages/batches/{created.id}/results"
        counts = batch.request_counts
        assert (counts.processing, counts.succeeded, counts.errored, counts.expired) == (0, 2, 1, 1)
        results = {
            r.custom_id: r.result async for r in await restarted.messages.batches.results(batch.id)
        }

    ok, bad, late, x = (results[i] for i in ("ok", "bad", "late", "x"))
    assert isinstance(ok, anthropic.types.messages.MessageBatchSucceededResult)
    assert json.loads(ok.message.content[0].text) == {"findings": []}
    assert ok.message.usage.cache_read_input_tokens == 900
    assert ok.message.usage.service_tier == "batch" and ok.message.model == MODEL
    assert isinstance(x, anthropic.types.messages.MessageBatchSucceededResult)
    assert x.message.content[0].text == TEXT and x.message.usage.input_tokens == 1200
    assert isinstance(bad, anthropic.types.messages.MessageBatchErroredResult)
    assert bad.error.error.type == "invalid_request_error"
    assert bad.error.error.message == "prompt is too long"
    assert late.type == "expired"
    assert [r.route for r in api.requests][-1] == f"/v1/messages/batches/{created.id}/results"


async def test_a_canceled_batch_ends_with_canceled_results(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    created = await claude.messages.batches.create(requests=batch_requests("a", "b"))
    canceling = await claude.messages.batches.cancel(created.id)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at
    ended = await claude.messages.batches.retrieve(created.id)
    assert ended.processing_status == "ended" and ended.request_counts.canceled == 2
    results = [r async for r in await claude.messages.batches.results(created.id)]
    assert {(r.custom_id, r.result.type) for r in results} == {("a", "canceled"), ("b", "canceled")}
    assert [b.id async for b in claude.messages.batches.list()] == [created.id]
    assert (await claude.messages.batches.delete(created.id)).type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        await claude.messages.batches.retrieve(created.id)


async def test_a_batch_can_end_by_itself_after_some_polls() -> None:
    with FakeAnthropic(batch_polls=3) as api:
        async with anthropic.AsyncAnthropic(base_url=api.base_url, api_key="k") as client:
            created = await client.messages.batches.create(requests=batch_requests("a"))
            statuses = [
                (await client.messages.batches.retrieve(created.id)).processing_status
                for _ in range(4)
            ]
    assert statuses == ["in_progress", "in_progress", "ended", "ended"]


async def test_batch_endpoints_take_scripted_statuses(
    api: FakeAnthropic, claude: anthropic.AsyncAnthropic
) -> None:
    api.script(Status(429), path="/v1/messages/batches")
    with pytest.raises(anthropic.RateLimitError):
        await claude.messages.batches.create(requests=batch_requests("a"))
    assert api.batch_ids() == []
    created = await claude.messages.batches.create(requests=batch_requests("a"))
    assert api.batch(created.id)["processing_status"] == "in_progress"
    with pytest.raises(anthropic.BadRequestError):  # custom_ids must be unique
        await claude.messages.batches.create(requests=batch_requests("a", "a"))


# ---------------------------------------------------------------- OpenAI


async def test_openai_stream_yields_deltas_and_the_usage_chunk(
    gpt: FakeOpenAI, oai: openai.AsyncOpenAI
) -> None:
    gpt.script(Reply(cache_read_tokens=200, input_tokens=100))
    chunks = await chat(oai)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == TEXT
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == "stop"
    usage = chunks[-1].usage
    assert chunks[-1].choices == [] and usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (300, len(TEXT) // 4)
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 200
    assert all(c.usage is None for c in chunks[:-1])

    (request,) = gpt.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.json["stream_options"] == {"include_usage": True}
    assert request.headers["authorization"] == "Bearer test-key"


async def test_openai_stream_without_include_usage_has_no_usage_chunk(
    oai: openai.AsyncOpenAI,
) -> None:
    chunks = [c async for c in await oai.chat.completions.create(**GPT, stream=True)]
    assert all(c.choices and c.usage is None for c in chunks)


async def test_openai_non_streaming_returns_usage_and_json(
    gpt: FakeOpenAI, oai: openai.AsyncOpenAI
) -> None:
    gpt.script(Reply(json={"ok": True}, output_tokens=7, stop_reason="max_tokens"))
    completion = await oai.chat.completions.create(
        **GPT, response_format={"type": "json_schema", "json_schema": {"name": "r", "schema": {}}}
    )
    assert json.loads(completion.choices[0].message.content or "") == {"ok": True}
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (1200, 7)
    assert completion.usage.total_tokens == 1207
    plain = await oai.chat.completions.create(**GPT)
    assert plain.choices[0].message.content == TEXT
    assert [m.id async for m in oai.models.list()] == list(gpt.models)


async def test_openai_statuses_and_retry_after(gpt: FakeOpenAI, oai: openai.AsyncOpenAI) -> None:
    gpt.script(Status(500))
    with pytest.raises(openai.InternalServerError) as raised:
        await oai.chat.completions.create(**GPT)
    assert raised.value.body == {
        "message": "scripted 500",
        "type": "server_error",
        "param": None,
        "code": None,
    }
    gpt.script(Status(429, retry_after=0.1), Reply(text="later"))
    chunks = await chat(oai.with_options(max_retries=1))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "later"
    assert len(gpt.requests_to("/v1/chat/completions")) == 3
    assert gpt.requests[2].at - gpt.requests[1].at >= 0.1


async def test_openai_broken_malformed_error_and_stalled_streams(
    gpt: FakeOpenAI, oai: openai.AsyncOpenAI
) -> None:
    gpt.script(
        BreakStream(after_events=3),
        Malformed(after_events=2),
        StreamError(after_events=2),
        Stall(seconds=30),
        Stall(seconds=30, after_events=2),
    )
    seen: list[Any] = []
    # The OpenAI SDK wraps transport errors met mid-stream; the Anthropic one does not.
    with pytest.raises(openai.APIConnectionError):
        await chat(oai, seen)
    assert len(seen) == 3
    with pytest.raises(json.JSONDecodeError):
        await chat(oai)
    with pytest.raises(openai.APIError) as raised:
        await chat(oai)
    assert raised.value.body == {
        "message": "Overloaded",
        "type": "server_error",
        "param": None,
        "code": None,
    }
    quick = oai.with_options(timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        await chat(quick)
    with pytest.raises(openai.APITimeoutError):
        await chat(quick)
    assert gpt.pending() == []
