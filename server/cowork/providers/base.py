"""The provider interface: a prompt in, streamed Markdown and usage out. No LSP, no git."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from cowork.engine.model import Usage


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


@dataclass(frozen=True)
class GenerationRequest:
    prompt: Prompt
    model: str
    # A deterministic analysis made from the gathered facts; the offline
    # provider's answer, and a fallback a person can compare a model against.
    offline_report: str
    max_output_tokens: int = 8000


@dataclass
class Completion:
    text: str
    provider: str
    model: str
    usage: Usage = field(default_factory=Usage)


class TextSink(Protocol):
    """Where a provider streams the artifact body as it arrives."""

    def text(self, chunk: str) -> None:
        """The next piece of the current attempt's text."""
        ...

    def retrying(self, attempt: int, of: int, wait_s: float, why: str) -> None:
        """The last attempt failed (`why`); attempt `attempt` of `of` starts in
        `wait_s` seconds, from the beginning: text received so far will be replaced."""
        ...


class Provider(Protocol):
    name: str

    async def generate(self, request: GenerationRequest, sink: TextSink) -> Completion:
        """Produce the artifact body, streaming it through `sink`. Cancellable."""
        ...

    async def count_tokens(self, request: GenerationRequest) -> int | None:
        """The prompt's input tokens by the provider's own count; None without a counter."""
        ...
