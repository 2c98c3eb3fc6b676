"""The provider interface: a prompt in, streamed Markdown and usage out. No LSP, no git."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from cowork.providers.usage import Usage


@dataclass(frozen=True)
class Prompt:
    """What a model receives, in cache order: system, stable context, task context, brief."""

    system: str
    stable_context: str
    task_context: str
    instruction: str

    def as_text(self) -> str:
        return "\n\n".join(
            s for s in (self.system, self.stable_context, self.task_context, self.instruction) if s
        )


# The output limit of a request (and what a cost estimate assumes it may use).
MAX_OUTPUT_TOKENS = 8000


@dataclass(frozen=True)
class GenerationRequest:
    prompt: Prompt
    model: str
    # A deterministic analysis made from the gathered facts; the offline
    # provider's answer, and a fallback a person can compare a model against.
    offline_report: str
    max_output_tokens: int = MAX_OUTPUT_TOKENS
    # A JSON schema the answer must follow (a review's findings); None for Markdown.
    output_schema: dict[str, Any] | None = None
    # How many times an answer cut by the output limit is asked to go on.
    max_continuations: int = 2
    # Turns after the prompt, (the model's answer, the user's reply), for a repair
    # round: "these edits could not be applied, answer again".
    followups: tuple[tuple[str, str], ...] = ()


# How an answer ended, as provenance says it.
STOPPED = "stop"
CUT = "cut at the output limit"


def continued(rounds: int) -> str:
    """How an answer that needed `rounds` continuations ended."""
    return f"continued ×{rounds}"


@dataclass
class Completion:
    text: str
    provider: str
    model: str
    # Every billed attempt and continuation added up, not only the last one.
    usage: Usage = field(default_factory=Usage)
    continuations: int = 0  # rounds asked to go on after the output limit
    cut: bool = False  # still cut at the output limit after the last round
    attempts: int = 1  # requests sent, retries and continuations included
    notes: list[str] = field(default_factory=list)  # for provenance: what to know about it

    @property
    def ended(self) -> str:
        """`stop`, `continued ×N` or `cut at the output limit`."""
        if self.cut:
            return CUT
        return continued(self.continuations) if self.continuations else STOPPED


class StreamCut(Exception):
    """A stream that ended without the model saying it was done (no `message_stop` /
    `stop_reason`, no `finish_reason`): a broken answer, retried like a dropped
    connection. The SDKs raise nothing for it, so the providers check."""


class TextSink(Protocol):
    """Where a provider streams the artifact body as it arrives."""

    def text(self, chunk: str) -> None:
        """The next piece of the current attempt's text."""
        ...

    def retrying(self, attempt: int, of: int, wait_s: float, why: str) -> None:
        """The last attempt failed (`why`); attempt `attempt` of `of` starts in
        `wait_s` seconds, from the beginning: text received so far in this round
        will be replaced."""
        ...

    def round_done(self) -> None:
        """The text so far is whole and a continuation follows: a retry from now on
        replaces only what comes after it."""
        ...


class Provider(Protocol):
    name: str

    async def generate(self, request: GenerationRequest, sink: TextSink) -> Completion:
        """Produce the artifact body, streaming it through `sink`. Cancellable."""
        ...

    async def count_tokens(self, request: GenerationRequest) -> int | None:
        """The prompt's input tokens by the provider's own count; None without a counter."""
        ...


# Told before a retry of a failed request: (next attempt, attempts in all, wait s, why).
RetryListener = Callable[[int, int, float, str], None]


class TryLater(Exception):
    """A batch could not be checked just now (the network, an overloaded API): the
    batch itself is fine, ask again at the next poll. The message says why."""


@runtime_checkable
class BatchProvider(Protocol):
    """A provider that can also run a request through a batch API (half price, not
    streamed, done within hours). Optional: the engine checks for it.

    Failures that end the task raise TaskFailure; a failure to reach the API while
    checking or reading a batch raises TryLater."""

    name: str

    async def submit_batch(
        self, custom_id: str, request: GenerationRequest, retrying: RetryListener
    ) -> str:
        """Submit `request` as a one-request batch under `custom_id`; the batch id."""
        ...

    async def batch_ended(self, batch_id: str) -> bool:
        """Whether the batch has ended (its results can be read)."""
        ...

    async def batch_result(self, batch_id: str, custom_id: str) -> Completion:
        """The ended batch's answer to `custom_id`; TaskFailure when it has none (the
        request errored, expired or was cancelled), saying why."""
        ...

    async def cancel_batch(self, batch_id: str) -> None:
        """Ask the API to cancel the batch (best effort: it may have ended already)."""
        ...
