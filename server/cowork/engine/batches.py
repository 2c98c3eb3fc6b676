"""Batch mode: whether a task goes through a batch API, and waiting for its result.

A task sent as a batch is not streamed: the provider submits it (one request,
`custom_id` = the task id) and this module polls the batch, with backoff, until
it has ended, then reads the task's result. The engine keeps what it needs to
write the artifact (the batch id, `BatchWait`) in the store, so a restarted
server resumes the polling instead of gathering and submitting again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime

from cowork.engine.model import Task
from cowork.providers.base import BatchProvider, Completion, Provider, TryLater

log = logging.getLogger(__name__)

# Polling a batch: the first look this long after submitting, then twice as long
# each time, never longer apart than the cap. A restarted server looks at once.
POLL_FIRST_S = 1.0
POLL_FACTOR = 2.0
POLL_CAP_S = 60.0

# How the engine asks the user (the LSP layer sets it): True to send as a batch.
BatchQuestion = Callable[[Task], Awaitable[bool]]
Report = Callable[[str], None]


def poll_delays(first: float = POLL_FIRST_S) -> Iterator[float]:
    """Seconds to wait before each look at a batch: `first`, then backing off."""
    delay = first
    while True:
        yield delay
        delay = min(POLL_CAP_S, max(POLL_FIRST_S, delay * POLL_FACTOR))


def ago(since: str, now: datetime | None = None) -> str:
    """'12 s ago', '3 min ago', '2 h 5 min ago' for an ISO timestamp."""
    then = datetime.fromisoformat(since.replace("Z", "+00:00"))
    seconds = max(0, int(((now or datetime.now(UTC)) - then).total_seconds()))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes} min ago" if minutes else f"{hours} h ago"


def waiting(submitted_at: str) -> str:
    return f"Waiting for the batch (submitted {ago(submitted_at)})"


async def use_batch(
    task: Task,
    mode: str,
    provider: Provider,
    ask: BatchQuestion | None,
    report: Report,
) -> bool:
    """Whether `task` goes to `provider`'s batch API, by the `batch` setting (`mode`).

    Only a provider with a batch API takes batches; for another, the setting is
    ignored (with a log line; the offline provider quietly). `ask` asks the user:
    no way to ask, no answer or a failure means "run now"."""
    if mode == "never":
        return False
    if not isinstance(provider, BatchProvider):
        if provider.name != "offline":
            log.info(
                "task %s: batch mode (%s) is for the anthropic provider; %s runs it now",
                task.task_id,
                mode,
                provider.name,
            )
            report(f"Batch mode is for the anthropic provider: running with {provider.name} now")
        return False
    if mode == "always":
        return True
    if ask is None:
        log.info("task %s: batch mode 'ask' but no one to ask; running now", task.task_id)
        return False
    report("Batch or now? Waiting for your answer")
    try:
        return await ask(task)
    except Exception:
        log.exception("task %s: asking about batch mode failed; running now", task.task_id)
        return False


async def wait_for_result(
    provider: BatchProvider,
    batch_id: str,
    custom_id: str,
    *,
    submitted_at: str,
    at_once: bool,
    report: Report,
) -> Completion:
    """Poll the batch until it has ended; the result for `custom_id`.

    A look that fails for a passing reason (TryLater) is reported and the polling
    goes on; TaskFailure (the request errored, expired, was cancelled; the batch is
    gone) ends it. Cancellable."""
    for delay in poll_delays(0.0 if at_once else POLL_FIRST_S):
        await asyncio.sleep(delay)
        try:
            if await provider.batch_ended(batch_id):
                return await provider.batch_result(batch_id, custom_id)
        except TryLater as exc:
            log.info("batch %s: could not check it (%s); trying again", batch_id, exc)
            report(f"{waiting(submitted_at)}; could not check it just now: {exc}")
            continue
        report(waiting(submitted_at))
    raise AssertionError("unreachable: the delays never end")
