"""An answer in rounds: one request (retried as needed), and as many more as the
output limit makes necessary, each asked to go on from where the last stopped.

The partial answer goes back as the assistant's turn, followed by a short user
turn asking to continue: models that refuse a trailing assistant turn (a
"prefill") accept this, and the prompt before it is unchanged, so the cached
prefix is read again. A structured answer is continued as plain text (a schema
would make the model start a new document), and parsed only once it is whole.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cowork.providers.base import GenerationRequest, TextSink
from cowork.providers.usage import Usage

# The reason a model stopped, normalised across providers.
LENGTH = "length"  # the output token limit: anthropic `max_tokens`, openai `length`

_GO_ON = (
    "Your answer above was cut off by the output token limit. Continue it from exactly "
    "where it stopped, mid-word or mid-sentence if need be: do not repeat anything, do "
    "not start over, add no preface; what you write is appended to it as it is."
)
_GO_ON_JSON = (
    "Your JSON answer above was cut off by the output token limit. Continue the JSON "
    "text from exactly the character where it stopped, until the document is complete: "
    "do not repeat anything, do not start a new document, no code fences, no preface; "
    "what you write is appended to it as it is."
)


def go_on(structured: bool) -> str:
    """The user turn that asks for the rest of a cut answer."""
    return _GO_ON_JSON if structured else _GO_ON


@dataclass(frozen=True)
class Round:
    """One round's answer: its text and why the model stopped (LENGTH, or another)."""

    text: str
    stop: str
    model: str | None = None  # as the API reports it, when it does


class Billed:
    """Usage of every attempt of a task, added up as the attempts report it: a retried
    or continued request is billed too."""

    def __init__(self) -> None:
        self.usage = Usage()
        self.attempts = 0
        self.unreported = 0  # attempts whose usage the server never reported (estimated)

    def add(self, usage: Usage, *, estimated: bool = False) -> None:
        self.usage.add(usage)
        self.attempts += 1
        self.unreported += estimated

    def notes(self) -> list[str]:
        if not self.unreported:
            return []
        s = "s" if self.unreported > 1 else ""
        return [
            f"usage of {self.unreported} attempt{s} estimated from its length: the stream "
            "ended before the server reported it"
        ]


@dataclass(frozen=True)
class Whole:
    text: str
    continuations: int
    cut: bool
    model: str | None


async def whole_answer(
    request: GenerationRequest, sink: TextSink, one_round: Callable[[str], Awaitable[Round]]
) -> Whole:
    """Run rounds until the model stops for a reason other than the output limit, or
    `request.max_continuations` rounds were asked to go on. `one_round(so_far)` sends
    one request continuing `so_far` ("" for the first) and returns what it added."""
    text, rounds, model = "", 0, None
    while True:
        answer = await one_round(text)
        text += answer.text
        model = answer.model or model
        if answer.stop != LENGTH:
            return Whole(text, rounds, False, model)
        if rounds >= request.max_continuations or not text.strip():
            return Whole(text, rounds, True, model)
        rounds += 1
        sink.round_done()
