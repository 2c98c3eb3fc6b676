"""The embedded default: no model, no network. The kind's deterministic analysis
plus the exact prompt a model would have received, so the user can judge both."""

from __future__ import annotations

import asyncio

from cowork.fences import fence as fence_for
from cowork.providers.base import Completion, GenerationRequest, TextSink
from cowork.providers.usage import Usage

NOTICE = (
    "> **Offline analysis: no model was used.** This draft was built by cowork's "
    "own analysis of the workspace and git facts listed below. Set `ANTHROPIC_API_KEY` "
    "(or the `cowork.provider` setting) to have a model write it."
)

OFFLINE_MODEL = "cowork-offline"


def _appendix(request: GenerationRequest) -> str:
    prompt = request.prompt
    sections = [
        ("System prompt", prompt.system),
        ("Brief", prompt.instruction),
        ("Workspace context (stable, cacheable prefix)", prompt.stable_context),
        ("Task context", prompt.task_context),
    ]
    out = [
        "\n\n## What a model would have received\n\n"
        "The exact prompt, in the order it would be sent.\n"
    ]
    for title, text in sections:
        if not text:
            continue
        fence = fence_for(text)
        out.append(
            f"\n<details><summary>{title} ({len(text):,} characters)</summary>\n\n"
            f"{fence}text\n{text.rstrip()}\n{fence}\n\n</details>\n"
        )
    return "".join(out)


def _answer(request: GenerationRequest) -> str:
    return f"{NOTICE}\n\n{request.offline_report.rstrip()}\n{_appendix(request)}"


class OfflineProvider:
    name = "offline"

    def __init__(self, delay_seconds: float = 0.0, chunks: int = 20) -> None:
        self._delay = delay_seconds
        self._chunks = chunks

    async def count_tokens(self, request: GenerationRequest) -> int | None:
        return None  # nothing is sent, so the local estimate is all there is

    async def generate(self, request: GenerationRequest, sink: TextSink) -> Completion:
        # As long as the context: built off the event loop.
        text = await asyncio.to_thread(_answer, request)
        step = max(1, len(text) // self._chunks + 1)
        for start in range(0, len(text), step):
            if self._delay:
                await asyncio.sleep(self._delay / self._chunks)
            else:
                await asyncio.sleep(0)  # a cancellation point even without a delay
            sink.text(text[start : start + step])
        return Completion(
            text=text, provider=self.name, model=OFFLINE_MODEL, usage=Usage(), attempts=0
        )
