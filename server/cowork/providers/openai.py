"""Any OpenAI-compatible endpoint (Ollama, llama.cpp server, vLLM, LM Studio) through
the official SDK's async client, streamed as text arrives.

The SDK reads the endpoint from `OPENAI_BASE_URL` and the key from `OPENAI_API_KEY`.
The prompt keeps the cache-friendly order (system prompt, then the stable,
workspace-wide context, then the task's own context and brief) without any
cache markers: servers that cache prompts at all match prefixes by themselves.
Failed attempts are retried by `retry.with_retries` (the SDK's own retries are
off), each from the start: a stream that broke half-way cannot be resumed.
"""

from __future__ import annotations

import json
import logging
import os
from urllib.parse import urlsplit, urlunsplit

import httpx2  # the SDK's transport
import openai
from openai.types.chat import ChatCompletionMessageParam
from openai.types.completion_usage import CompletionUsage

from cowork.errors import TaskFailure
from cowork.providers import pricing, rounds
from cowork.providers.base import Completion, GenerationRequest, StreamCut, TextSink
from cowork.providers.retry import RetriesExhausted, Verdict, retry_after, with_retries
from cowork.providers.sdk import SDKProvider
from cowork.providers.usage import Usage

log = logging.getLogger(__name__)

# Sent when OPENAI_API_KEY is unset: local servers mostly want no key, but the SDK
# refuses to start without one. Servers that ignore keys ignore this one too.
PLACEHOLDER_KEY = "not-needed"

_LONGEST_SERVER_MESSAGE = 300  # characters of a server's own error message shown


def shown_url(url: str) -> str:
    """`url` without credentials or query: scheme, host, port and path only."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _server_message(exc: openai.APIError) -> str:
    """The server's own words: `{"error": {"message": ...}}` (OpenAI, vLLM) or
    `{"error": "..."}` (Ollama); shortened, on one line."""
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = str(body["message"])
    elif isinstance(body, str):
        message = body
    else:
        message = ""
    message = " ".join(message.split())
    if len(message) > _LONGEST_SERVER_MESSAGE:
        message = message[: _LONGEST_SERVER_MESSAGE - 1] + "…"
    return message


def _judge(exc: BaseException, base_url: str, model: str, has_key: bool) -> Verdict | None:
    where = shown_url(base_url) if base_url else "the configured OPENAI_BASE_URL"
    if isinstance(exc, openai.AuthenticationError):
        if not has_key:
            return Verdict(
                False,
                f"the server at {where} wants an API key (401): set OPENAI_API_KEY in the "
                "server's environment",
            )
        return Verdict(
            False, f"the server at {where} rejected the API key (401): check OPENAI_API_KEY"
        )
    if isinstance(exc, openai.PermissionDeniedError):
        return Verdict(
            False,
            f"the server at {where} refused the request (403): check that OPENAI_API_KEY "
            f"may use the model {model!r}",
        )
    if isinstance(exc, openai.NotFoundError):
        return Verdict(
            False,
            f"the model {model!r} was not found on the server at {where} (404): check "
            f"cowork.model (for Ollama, `ollama pull {model}`) and that OPENAI_BASE_URL is "
            "the API's root, usually ending in /v1",
        )
    if isinstance(exc, openai.RateLimitError):
        wait = retry_after(exc.response.headers)
        if wait is None:  # how OpenAI says a quota is used up; retrying cannot help
            return Verdict(
                False,
                f"the server at {where} refused the request with 429 and no retry-after: a "
                "quota or usage limit is reached; raise it or wait for it to reset",
            )
        return Verdict(True, "rate limited (429)", wait)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status >= 500 or status in (408, 409):
            return Verdict(
                True, f"the model server failed ({status})", retry_after(exc.response.headers)
            )
        detail = _server_message(exc)
        return Verdict(
            False,
            f"the model server refused the request ({status})" + (f": {detail}" if detail else ""),
        )
    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError included
        cause = exc.__cause__
        if isinstance(cause, httpx2.ConnectError | httpx2.ConnectTimeout):
            return Verdict(
                True,
                f"could not connect: is the local model server running at {where}? "
                "set OPENAI_BASE_URL to its address",
            )
        if isinstance(exc, openai.APITimeoutError):
            return Verdict(True, "the model server stopped sending (timed out)")
        return Verdict(True, "the connection to the model server broke mid-answer")
    if isinstance(exc, openai.APIError):  # an `{"error": ...}` event inside a stream
        kind = exc.type or exc.code or "error"
        return Verdict(True, f"the stream ended with {kind}")
    if isinstance(exc, httpx2.TimeoutException):
        return Verdict(True, "the model server stopped sending (timed out)")
    if isinstance(exc, httpx2.TransportError):
        return Verdict(True, "the connection to the model server broke mid-answer")
    if isinstance(exc, json.JSONDecodeError):
        return Verdict(True, "the stream held a malformed event")
    if isinstance(exc, StreamCut):
        return Verdict(True, str(exc))
    if isinstance(exc, openai.OpenAIError):
        return Verdict(False, f"the openai SDK failed: {type(exc).__name__}")
    return None


def judge(
    exc: BaseException, *, base_url: str = "", model: str = "", secret: str | None = None
) -> Verdict | None:
    """Whether a failed attempt is worth another, and what to tell the user; None for
    what is not a failure of the API (a bug of ours, re-raised). Messages are built
    from status codes, error types and the URL without its credentials; a server's
    own message is shown only for a refused request, with `secret` (the API key)
    blanked out should a server ever echo it."""
    verdict = _judge(exc, base_url, model, bool(secret))
    if verdict is not None and secret and secret in verdict.why:
        verdict = Verdict(verdict.retry, verdict.why.replace(secret, "***"), verdict.retry_after_s)
    return verdict


def messages_for(request: GenerationRequest, so_far: str = "") -> list[ChatCompletionMessageParam]:
    """System message: the system prompt. User message: the stable context first (a
    prefix shared by the workspace's tasks), then the task's context and brief. A
    continuation adds the answer so far and a user turn asking to go on."""
    p = request.prompt
    task_text = "\n\n".join(t for t in (p.task_context, p.instruction) if t)
    user = "\n\n".join(t for t in (p.stable_context, task_text or "(no task context)") if t)
    messages: list[ChatCompletionMessageParam] = []
    if p.system:
        messages.append({"role": "system", "content": p.system})
    messages.append({"role": "user", "content": user})
    for answer, reply in request.followups:
        messages.append({"role": "assistant", "content": answer})
        messages.append({"role": "user", "content": reply})
    if so_far:
        messages.append({"role": "assistant", "content": so_far})
        messages.append(
            {"role": "user", "content": rounds.go_on(request.output_schema is not None)}
        )
    return messages


def usage_of(reported: CompletionUsage | None) -> Usage:
    """OpenAI counts cached tokens inside `prompt_tokens`; cowork counts them apart."""
    if reported is None:  # the server sent no usage: nothing to record
        return Usage()
    details = reported.prompt_tokens_details
    read = (details.cached_tokens or 0) if details else 0
    write = (details.cache_write_tokens or 0) if details else 0
    return Usage(
        input_tokens=max(0, reported.prompt_tokens - read - write),
        output_tokens=reported.completion_tokens,
        cache_read_tokens=read,
        cache_write_tokens=write,
    )


class OpenAIProvider(SDKProvider[openai.AsyncOpenAI]):
    name = "openai"

    def _new_client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            # Local servers often need no key, but the SDK will not start without
            # one: a placeholder then. The base URL comes from OPENAI_BASE_URL.
            api_key=os.environ.get("OPENAI_API_KEY") or PLACEHOLDER_KEY,
            max_retries=0,  # retry.with_retries is the one policy
            timeout=openai.Timeout(connect=10.0, read=self._read_timeout_s, write=60.0, pool=10.0),
        )

    async def count_tokens(self, request: GenerationRequest) -> int | None:
        """No counter in the Chat Completions API: the local estimate stands."""
        return None

    async def generate(self, request: GenerationRequest, sink: TextSink) -> Completion:
        async with self._session() as client:
            return await self._generate(client, request, sink)

    async def _generate(
        self, client: openai.AsyncOpenAI, request: GenerationRequest, sink: TextSink
    ) -> Completion:
        base_url = str(client.base_url)
        key = client.api_key if client.api_key != PLACEHOLDER_KEY else None
        billed = rounds.Billed()

        def judged(exc: BaseException) -> Verdict | None:
            return judge(exc, base_url=base_url, model=request.model, secret=key)

        async def one_round(so_far: str) -> rounds.Round:
            messages = messages_for(request, so_far)

            async def attempt() -> rounds.Round:
                return await _attempt(client, request, messages, sink, billed)

            try:
                return await with_retries(attempt, judged, sink.retrying, self._policy)
            except RetriesExhausted as exc:
                raise TaskFailure(exc.reason) from None

        whole = await rounds.whole_answer(request, sink, one_round)
        usage = billed.usage
        # 0 for a model with no price: local models, unless the `prices` setting names them.
        usage.cost_usd = pricing.cost(request.model, usage, overrides=self._prices)
        # The configured name, not the one the server reports: some servers (older
        # llama.cpp) report a placeholder such as "gpt-3.5-turbo" for any model.
        return Completion(
            text=whole.text,
            provider=self.name,
            model=request.model,
            usage=usage,
            continuations=whole.continuations,
            cut=whole.cut,
            attempts=billed.attempts,
            notes=billed.notes(),
        )


async def _attempt(
    client: openai.AsyncOpenAI,
    request: GenerationRequest,
    messages: list[ChatCompletionMessageParam],
    sink: TextSink,
    billed: rounds.Billed,
) -> rounds.Round:
    """One streamed request. A stream that ends without a `finish_reason` is a
    StreamCut: the SDK raises nothing when the server closes the stream early and
    cleanly, so it would pass for a whole answer. Its usage is counted even when it
    fails part-way; estimated from its length when the server never reported it."""
    parts: list[str] = []
    reported: CompletionUsage | None = None
    finish: str | None = None
    try:
        stream = await client.chat.completions.create(
            model=request.model,
            messages=messages,
            # max_tokens, not max_completion_tokens: the one local servers know.
            max_tokens=request.max_output_tokens,
            stream=True,
            stream_options={"include_usage": True},
        )
        async with stream:
            async for chunk in stream:
                if chunk.usage is not None:  # the last chunk, with no choices
                    reported = chunk.usage
                for choice in chunk.choices:
                    if choice.index != 0:
                        continue
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        sink.text(choice.delta.content)
                    # The last word counts: a server may send it, then more.
                    finish = choice.finish_reason or (None if choice.delta.content else finish)
    finally:
        if reported is not None:
            billed.add(usage_of(reported))
        elif parts:
            sent = sum(len(str(m.get("content", ""))) for m in messages)
            guess = Usage(input_tokens=sent // 4, output_tokens=len("".join(parts)) // 4)
            billed.add(guess, estimated=True)
        else:
            billed.add(Usage())
    if finish is None:
        raise StreamCut("the stream ended before the answer was complete (no finish_reason)")
    return rounds.Round("".join(parts), rounds.LENGTH if finish == "length" else finish)
