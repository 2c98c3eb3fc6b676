"""`maxCostUsdPerTask`: a task whose estimated cost is over the cap asks before it is
sent (or fails, with the figures, where nobody can be asked: the CLI, a client that
cannot show a question).

The estimate is what the request could cost at most: its input tokens at the
model's input price (no cache discount assumed) plus the output limit at the
output price, halved for the batch API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cowork.config import Settings
from cowork.engine.model import Task
from cowork.errors import TaskFailure
from cowork.providers import prices_of, pricing

# How the engine asks (set by the LSP layer): True to run anyway, False to cancel,
# None when the question cannot be put.
CostQuestion = Callable[[Task, str], Awaitable[bool | None]]


@dataclass(frozen=True)
class Estimate:
    usd: float
    input_tokens: int
    output_tokens: int
    batch: bool

    def figures(self, model: str) -> str:
        batch = ", at the batch price" if self.batch else ""
        return (
            f"${self.usd:.4f} (~{self.input_tokens:,} input tokens and up to "
            f"{self.output_tokens:,} output tokens at {model}'s price{batch})"
        )


def estimate(
    settings: Settings, input_tokens: int, output_tokens: int, *, batch: bool
) -> Estimate | None:
    """The most the request may cost; None without a price (offline, local models)."""
    price = pricing.price_for(settings.model, prices_of(settings))
    if price is None:
        return None
    usd = (input_tokens * price.input + output_tokens * price.output) / 1e6
    return Estimate(usd / 2 if batch else usd, input_tokens, output_tokens, batch)


async def check(
    task: Task, settings: Settings, found: Estimate | None, ask: CostQuestion | None
) -> None:
    """Go on when there is no cap, no price or the estimate is within the cap, or the
    user says run anyway; TaskFailure with the figures otherwise."""
    cap = settings.max_cost_usd_per_task
    if cap is None or found is None or found.usd <= cap:
        return
    figures = found.figures(settings.model)
    limit = f"${cap:.2f}" if cap >= 0.01 else f"${cap:.4f}"
    question = (
        f"“{task.title}” may cost {figures}, over the {limit} cap (cowork.maxCostUsdPerTask)."
    )
    answer = await ask(task, question) if ask is not None else None
    if answer:
        return
    why = "you chose not to run it" if answer is False else "nobody could be asked to allow it"
    raise TaskFailure(
        f"the estimated cost {figures} is over cowork.maxCostUsdPerTask ({limit}) and "
        f"{why}: raise the cap, narrow the task, or run it anyway from the editor"
    )
