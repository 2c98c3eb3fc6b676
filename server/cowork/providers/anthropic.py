"""Claude through the official SDK's async client, streamed as text arrives.

The prompt is laid out for prompt caching: system prompt and the stable,
workspace-wide context first (when the engine sends one), with a cache
breakpoint after them, so two tasks in one workspace share that prefix; the
task's own context and brief come last. Failed attempts are retried by
`retry.with_retries` (the SDK's own retries are off, so there is one policy),
each from the start: a stream that broke half-way cannot be resumed.

Batch mode sends the same request through the Message Batches API instead
(half price, done within 24 h, usually within the hour), with a 1-hour cache
TTL on the breakpoint, as advised for batches: see `submit_batch` and below.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anthropic
import httpx2  # the SDK's transport: a stream that breaks mid-way raises its errors

from cowork.errors import TaskFailure
from cowork.providers import pricing, rounds
from cowork.providers.base import (
    Completion,
    GenerationRequest,
    RetryListener,
    StreamCut,
    TextSink,
    TryLater,
)
from cowork.providers.retry import RetriesExhausted, RetryPolicy, Verdict, retry_after, with_retries
from cowork.providers.sdk import SDKProvider
from cowork.providers.usage import Usage

log = logging.getLogger(__name__)


_RETRYABLE_TYPES = {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}

# The cache TTL of batch requests: a batch may wait longer than 5 minutes to run.
BATCH_CACHE_TTL: pricing.CacheTTL = "1h"
# Cancelling a batch: a few quick tries, as the user waits for the answer.
CANCEL_POLICY = RetryPolicy(attempts=3, base_s=0.5, cap_s=2.0, total_s=10.0)


def _error_type(exc: anthropic.APIStatusError) -> str | None:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("type"), str):
            return str(error["type"])
    return None


def judge(exc: BaseException) -> Verdict | None:
    """Whether a failed attempt is worth another, and what to tell the user; None for
    what is not a failure of the API (a bug of ours, re-raised). Messages never echo
    credentials: they are built from status codes and error types only."""
    if isinstance(exc, anthropic.AuthenticationError):
        return Verdict(
            False, "the Anthropic API rejected the API key (401): check ANTHROPIC_API_KEY"
        )
    if isinstance(exc, anthropic.PermissionDeniedError):
        return Verdict(
            False, "the API key may not use this model or feature (403): check the key's workspace"
        )
    if isinstance(exc, anthropic.NotFoundError):
        return Verdict(False, "the model was not found (404): check the cowork.model setting")
    if isinstance(exc, anthropic.RateLimitError):
        wait = retry_after(exc.response.headers)
        if wait is None:  # how the API says a spend or usage cap is reached
            return Verdict(
                False,
                "the Anthropic API refused the request with 429 and no retry-after: a spend or "
                "usage limit is reached; raise it in the Anthropic Console or wait for it to reset",
            )
        return Verdict(True, "rate limited (429)", wait)
    if isinstance(exc, anthropic.BadRequestError):
        return Verdict(False, f"the Anthropic API refused the request (400): {exc.message}")
    if isinstance(exc, anthropic.APITimeoutError):
        return Verdict(True, "the Anthropic API did not answer in time")
    if isinstance(exc, anthropic.APIConnectionError):
        return Verdict(
            True, "could not reach the Anthropic API (check the network or ANTHROPIC_BASE_URL)"
        )
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        if status == 200:  # an `error` event inside a stream that had started
            kind = _error_type(exc) or "error"
            return Verdict(kind in _RETRYABLE_TYPES, f"the stream ended with {kind}")
        retryable = status >= 500 or status in (408, 409)
        name = "overloaded (529)" if status == 529 else f"failed ({status})"
        return Verdict(retryable, f"the Anthropic API {name}", retry_after(exc.response.headers))
    if isinstance(exc, httpx2.TimeoutException):
        return Verdict(True, "the Anthropic API stopped sending mid-answer")
    if isinstance(exc, httpx2.TransportError):
        return Verdict(True, "the connection broke mid-answer")
    if isinstance(exc, json.JSONDecodeError):
        return Verdict(True, "the stream held a malformed event")
    if isinstance(exc, StreamCut):
        return Verdict(True, str(exc))
    if isinstance(exc, anthropic.APIError):
        return Verdict(False, f"the Anthropic API failed: {type(exc).__name__}")
    return None


def _output(request: GenerationRequest) -> dict[str, Any]:
    """Structured output, when the task asks for it: the schema in the form the API takes."""
    if request.output_schema is None:
        return {}
    schema = anthropic.transform_schema(request.output_schema)
    return {"output_config": {"format": {"type": "json_schema", "schema": schema}}}


class AnthropicProvider(SDKProvider[anthropic.AsyncAnthropic]):
    name = "anthropic"

    def _new_client(self) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(
            max_retries=0,  # retry.with_retries is the one policy
            timeout=anthropic.Timeout(
                connect=10.0, read=self._read_timeout_s, write=60.0, pool=10.0
            ),
        )

    def _messages(
        self, request: GenerationRequest, ttl: pricing.CacheTTL | None = None, so_far: str = ""
    ) -> tuple[list[Any], list[Any]]:
        p = request.prompt
        breakpoint_: dict[str, str] = {"type": "ephemeral", **({"ttl": ttl} if ttl else {})}
        system: list[dict[str, Any]] = [{"type": "text", "text": p.system}]
        content: list[dict[str, Any]] = []
        # A breakpoint only after a shared prefix the engine chose to send (it knows when
        # one pays: kinds/prefix_plan.py); the system prompt alone is below any minimum.
        if p.stable_context:
            content.append({"type": "text", "text": p.stable_context, "cache_control": breakpoint_})
        task_text = "\n\n".join(t for t in (p.task_context, p.instruction) if t)
        content.append({"type": "text", "text": task_text or "(no task context)"})
        messages: list[dict[str, Any]] = [{"role": "user", "content": content}]
        for answer, reply in request.followups:
            messages += [
                {"role": "assistant", "content": [{"type": "text", "text": answer}]},
                {"role": "user", "content": [{"type": "text", "text": reply}]},
            ]
        if so_far:  # a continuation: the same prompt, the answer so far, "go on"
            go_on = rounds.go_on(request.output_schema is not None)
            messages += [
                {"role": "assistant", "content": [{"type": "text", "text": so_far}]},
                {"role": "user", "content": [{"type": "text", "text": go_on}]},
            ]
        return system, messages

    async def count_tokens(self, request: GenerationRequest) -> int | None:
        """Anthropic's token counter (free). Best effort: None when it cannot answer,
        and the conservative local estimate stands."""
        system, messages = self._messages(request)
        try:
            async with self._session() as client:
                counted = await client.messages.count_tokens(
                    model=request.model, system=system, messages=messages
                )
        except (anthropic.APIError, httpx2.TransportError, json.JSONDecodeError) as exc:
            log.info("token count unavailable (%s); using the local estimate", type(exc).__name__)
            return None
        return counted.input_tokens

    async def generate(self, request: GenerationRequest, sink: TextSink) -> Completion:
        billed = rounds.Billed()
        async with self._session() as client:

            async def one_round(so_far: str) -> rounds.Round:
                system, messages = self._messages(request, so_far=so_far)
                # A continuation is plain text: a schema would start a new document.
                params = {
                    "model": request.model,
                    "max_tokens": request.max_output_tokens,
                    "system": system,
                    "messages": messages,
                    **({} if so_far else _output(request)),
                }

                async def attempt() -> rounds.Round:
                    return await _attempt(client, params, sink, billed)

                try:
                    return await with_retries(attempt, judge, sink.retrying, self._policy)
                except RetriesExhausted as exc:
                    raise TaskFailure(exc.reason) from None

            whole = await rounds.whole_answer(request, sink, one_round)
        completion = self._completion(whole.text, whole.model or request.model, billed.usage)
        completion.continuations, completion.cut = whole.continuations, whole.cut
        completion.attempts, completion.notes = billed.attempts, billed.notes()
        return completion

    def _completion(
        self, text: str, model: str, usage: Usage, *, batch: bool = False
    ) -> Completion:
        # One TTL per request: the streamed request's breakpoint has the default 5
        # minutes, a batch request's BATCH_CACHE_TTL.
        usage.cost_usd = pricing.cost(
            model,
            usage,
            batch=batch,
            cache_ttl=BATCH_CACHE_TTL if batch else "5m",
            overrides=self._prices,
        )
        return Completion(text=text, provider=self.name, model=model, usage=usage)

    # -- Message Batches ------------------------------------------------------------

    def batch_params(self, request: GenerationRequest) -> dict[str, Any]:
        """The streamed call's parameters, unstreamed, with the 1-hour cache TTL."""
        system, messages = self._messages(request, BATCH_CACHE_TTL)
        return {
            "model": request.model,
            "max_tokens": request.max_output_tokens,
            "system": system,
            "messages": messages,
            **_output(request),
        }

    async def submit_batch(
        self, custom_id: str, request: GenerationRequest, retrying: RetryListener
    ) -> str:
        """Create a one-request batch; its id. Retried like a streamed request."""
        requests: Any = [{"custom_id": custom_id, "params": self.batch_params(request)}]
        async with self._session() as client:

            async def attempt() -> str:
                batch = await client.messages.batches.create(requests=requests)
                return batch.id

            try:
                return await with_retries(attempt, judge, retrying, self._policy)
            except RetriesExhausted as exc:
                raise TaskFailure(f"could not submit the batch: {exc.reason}") from None

    async def batch_ended(self, batch_id: str) -> bool:
        """One look at the batch (the poller asks again later, so no retries here)."""
        try:
            async with self._session() as client:
                batch = await client.messages.batches.retrieve(batch_id)
        except Exception as exc:
            failure = _batch_failure(exc, batch_id)
            if failure is None:
                raise
            raise failure from exc
        return batch.processing_status == "ended"

    async def batch_result(self, batch_id: str, custom_id: str) -> Completion:
        found = None
        try:
            async with self._session() as client:
                results = await client.messages.batches.results(batch_id)
                try:
                    async for entry in results:
                        if entry.custom_id == custom_id:
                            found = entry.result
                            break
                finally:
                    await results.close()
        except Exception as exc:
            failure = _batch_failure(exc, batch_id)
            if failure is None:
                raise
            raise failure from exc
        if found is None:
            raise TaskFailure(f"the results of batch {batch_id} hold nothing for this task")
        if found.type == "succeeded":
            message = found.message
            text = "".join(b.text for b in message.content if b.type == "text")
            completion = self._completion(text, message.model, _usage(message.usage), batch=True)
            # Not continued: the request is not at hand any more (a batch may end
            # after a restart), and a continuation would not be at the batch price.
            completion.cut = message.stop_reason == "max_tokens"
            return completion
        if found.type == "errored":
            error = found.error.error
            raise TaskFailure(
                f"the batch request failed: {error.type}: {error.message} (batch {batch_id})"
            )
        if found.type == "expired":
            raise TaskFailure(
                f"batch {batch_id} expired before it ran this request (a batch has 24 h); "
                "hand the task off again, or without batch mode"
            )
        raise TaskFailure(f"batch {batch_id} was cancelled before it ran this request")

    async def cancel_batch(self, batch_id: str) -> None:
        async with self._session() as client:

            async def attempt() -> None:
                await client.messages.batches.cancel(batch_id)

            try:
                await with_retries(attempt, judge, lambda *_: None, CANCEL_POLICY)
            except RetriesExhausted as exc:
                raise TaskFailure(f"could not cancel batch {batch_id}: {exc.verdict.why}") from None


def _usage(u: anthropic.types.Usage) -> Usage:
    return Usage(
        input_tokens=u.input_tokens,
        output_tokens=u.output_tokens,
        cache_read_tokens=u.cache_read_input_tokens or 0,
        cache_write_tokens=u.cache_creation_input_tokens or 0,
    )


async def _attempt(
    client: anthropic.AsyncAnthropic, params: dict[str, Any], sink: TextSink, billed: rounds.Billed
) -> rounds.Round:
    """One streamed request. Its usage is billed even when it fails part-way (the
    API bills what it started); a stream that ends without `message_stop` and a
    `stop_reason` is a StreamCut, whatever the SDK made of it."""
    parts: list[str] = []
    usage: Usage | None = None
    stop: str | None = None
    stopped = False
    model: str | None = None
    try:
        async with client.messages.stream(**params) as stream:
            async for event in stream:
                if event.type == "message_start":
                    usage, model = _usage(event.message.usage), event.message.model
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    parts.append(event.delta.text)
                    sink.text(event.delta.text)
                elif event.type == "message_delta":
                    stop = event.delta.stop_reason
                    usage = _delta_usage(usage or Usage(), event.usage)
                elif event.type == "message_stop":
                    stopped = True
    finally:
        if usage is not None:
            billed.add(usage)
        else:
            billed.add(Usage(output_tokens=len("".join(parts)) // 4), estimated=bool(parts))
    if not stopped or stop is None:
        missing = "message_stop" if not stopped else "a stop_reason"
        raise StreamCut(f"the stream ended before the answer was complete (no {missing})")
    return rounds.Round("".join(parts), rounds.LENGTH if stop == "max_tokens" else stop, model)


def _delta_usage(usage: Usage, delta: Any) -> Usage:
    """`usage` with the cumulative counts a `message_delta` reports (those it has)."""
    return Usage(
        input_tokens=delta.input_tokens if delta.input_tokens is not None else usage.input_tokens,
        output_tokens=delta.output_tokens,
        cache_read_tokens=(
            delta.cache_read_input_tokens
            if delta.cache_read_input_tokens is not None
            else usage.cache_read_tokens
        ),
        cache_write_tokens=(
            delta.cache_creation_input_tokens
            if delta.cache_creation_input_tokens is not None
            else usage.cache_write_tokens
        ),
    )


def _batch_failure(exc: Exception, batch_id: str) -> Exception | None:
    """What a failed look at a batch means: TryLater when another look may do, else a
    TaskFailure saying why; None for what is not an API failure (a bug of ours)."""
    if isinstance(exc, anthropic.NotFoundError):
        return TaskFailure(
            f"batch {batch_id} was not found (404): it was deleted, or belongs to "
            "another API key's workspace"
        )
    verdict = judge(exc)
    if verdict is None:
        if isinstance(exc, anthropic.AnthropicError):  # the SDK's own: no results_url yet
            return TryLater(f"the batch's results are not there yet ({exc})")
        return None
    if verdict.retry:
        return TryLater(verdict.why)
    return TaskFailure(f"could not read batch {batch_id}: {verdict.why}")
