"""Claude through the official SDK's async client, streamed as text arrives.

The prompt is laid out for prompt caching: system prompt and the stable,
workspace-wide context first, with a cache breakpoint after them, so two
tasks in one workspace share that prefix; the task's own context and brief
come last.
"""

from __future__ import annotations

import logging
from typing import Any

import anthropic

from cowork.engine.model import Usage
from cowork.errors import TaskFailure
from cowork.providers import pricing
from cowork.providers.base import Completion, GenerationRequest, TextSink

log = logging.getLogger(__name__)


def _fix_for(exc: anthropic.APIError) -> str:
    """A message that says what to do, never echoing credentials."""
    if isinstance(exc, anthropic.AuthenticationError):
        return "the Anthropic API rejected the API key (401): check ANTHROPIC_API_KEY"
    if isinstance(exc, anthropic.PermissionDeniedError):
        return "the API key may not use this model or feature (403): check the key's workspace"
    if isinstance(exc, anthropic.NotFoundError):
        return "the model was not found (404): check the cowork.model setting"
    if isinstance(exc, anthropic.RateLimitError):
        return "rate limited by the Anthropic API (429) and retries did not help; try again later"
    if isinstance(exc, anthropic.BadRequestError):
        return f"the Anthropic API refused the request (400): {exc.message}"
    if isinstance(exc, anthropic.APITimeoutError):
        return "the Anthropic API did not answer in time; try again"
    if isinstance(exc, anthropic.APIConnectionError):
        return "could not reach the Anthropic API: check the network or ANTHROPIC_BASE_URL"
    if isinstance(exc, anthropic.APIStatusError):
        return f"the Anthropic API failed ({exc.status_code}); try again later"
    return f"the Anthropic API failed: {type(exc).__name__}"


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, client: anthropic.AsyncAnthropic | None = None) -> None:
        self._client = client

    def _messages(self, request: GenerationRequest) -> tuple[list[Any], list[Any]]:
        p = request.prompt
        system: list[dict[str, Any]] = [{"type": "text", "text": p.system}]
        content: list[dict[str, Any]] = []
        if p.stable_context:
            content.append(
                {"type": "text", "text": p.stable_context, "cache_control": {"type": "ephemeral"}}
            )
        else:
            system[-1]["cache_control"] = {"type": "ephemeral"}
        task_text = "\n\n".join(t for t in (p.task_context, p.instruction) if t)
        content.append({"type": "text", "text": task_text or "(no task context)"})
        return system, [{"role": "user", "content": content}]

    async def count_tokens(self, request: GenerationRequest) -> int | None:
        """Anthropic's token counter (free). Best effort: None when it cannot answer,
        and the conservative local estimate stands."""
        client = self._client or anthropic.AsyncAnthropic()
        system, messages = self._messages(request)
        try:
            counted = await client.messages.count_tokens(
                model=request.model, system=system, messages=messages
            )
        except anthropic.APIError as exc:
            log.info("token count unavailable (%s); using the local estimate", type(exc).__name__)
            return None
        finally:
            if self._client is None:
                await client.close()
        return counted.input_tokens

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Completion:
        client = self._client or anthropic.AsyncAnthropic()
        system, messages = self._messages(request)
        parts: list[str] = []
        try:
            async with client.messages.stream(
                model=request.model,
                max_tokens=request.max_output_tokens,
                system=system,
                messages=messages,
            ) as stream:
                async for text in stream.text_stream:
                    parts.append(text)
                    on_text(text)
                final = await stream.get_final_message()
        except anthropic.APIError as exc:
            raise TaskFailure(_fix_for(exc)) from None
        finally:
            if self._client is None:
                await client.close()
        u = final.usage
        usage = Usage(
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            cache_read_tokens=u.cache_read_input_tokens or 0,
            cache_write_tokens=u.cache_creation_input_tokens or 0,
        )
        usage.cost_usd = pricing.cost(final.model, usage)
        return Completion(text="".join(parts), provider=self.name, model=final.model, usage=usage)
