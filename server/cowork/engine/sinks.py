"""Where a provider's text goes while a task runs (the `TextSink`s): the draft on disk
and progress reports for the artifact's answer, progress only for a repair round."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cowork import uris
from cowork.engine.draft import Draft
from cowork.engine.model import Task

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.25
DRAFT_FLUSH_S = 0.2  # text arriving within this long reaches the draft on disk in one write

Progress = Callable[[Task, str, int | None], None]  # (task, message, percentage)
Changed = Callable[[Task], None]  # the task record changed (its draft appeared)


class Quiet:
    """The sink of a repair round: its text is not the artifact; progress only."""

    def __init__(self, progress: Progress, task: Task, provider: str) -> None:
        self._progress, self._task, self._provider = progress, task, provider

    def text(self, chunk: str) -> None:
        pass

    def retrying(self, attempt: int, of: int, wait_s: float, why: str) -> None:
        self._progress(
            self._task, f"Retrying in {wait_s:.1f} s (attempt {attempt} of {of}): {why}", None
        )

    def round_done(self) -> None:
        pass


class Stream:
    """The provider's TextSink for one task: progress reports with the tokens so far,
    and the draft on disk kept in step (written on the task's writer thread, in order,
    at most every DRAFT_FLUSH_S)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        progress: Progress,
        changed: Changed,
        task: Task,
        provider: str,
        draft: Draft,
        writer: ThreadPoolExecutor,
    ) -> None:
        self._progress, self._changed = progress, changed
        self._task, self._provider = task, provider
        self._draft, self._writer = draft, writer
        self._loop = loop
        self._pending: list[str] = []
        self._flush_at: asyncio.TimerHandle | None = None
        self._last: asyncio.Future[Any] | None = None
        self._received = 0
        self._reported = 0.0

    def text(self, chunk: str) -> None:
        self._received += len(chunk)
        self._pending.append(chunk)
        if self._flush_at is None:
            self._flush_at = self._loop.call_later(DRAFT_FLUSH_S, self._flush)
        t = self._loop.time()
        if t - self._reported >= PROGRESS_INTERVAL_S:
            self._reported = t
            self._progress(
                self._task, f"Writing with {self._provider}: ~{self._received // 4:,} tokens", None
            )

    def retrying(self, attempt: int, of: int, wait_s: float, why: str) -> None:
        self._flush()
        note = f"attempt {attempt - 1} of {of} failed ({why}); retrying"
        self._submit(self._draft.interrupted, note)
        self._received = 0
        self._progress(
            self._task, f"Retrying in {wait_s:.1f} s (attempt {attempt} of {of}): {why}", None
        )

    def round_done(self) -> None:
        self._flush()
        self._submit(lambda _: self._draft.round_done(), "")
        self._progress(
            self._task,
            f"The answer reached the output limit; {self._provider} is asked to go on",
            None,
        )

    def _flush(self) -> None:
        if self._flush_at is not None:
            self._flush_at.cancel()
            self._flush_at = None
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self._submit(self._draft.append, text)

    def _submit(self, work: Callable[[str], None], arg: str) -> None:
        first = not self._draft.claimed and self._last is None
        fut = self._loop.run_in_executor(self._writer, work, arg)
        fut.add_done_callback(self._written)
        if first:
            fut.add_done_callback(lambda _: self._announce())
        self._last = fut

    def _written(self, fut: asyncio.Future[Any]) -> None:
        if not fut.cancelled() and fut.exception() is not None:
            log.error("task %s: writing its draft failed: %s", self._task.task_id, fut.exception())

    def _announce(self) -> None:
        """The draft exists: the task record points at it, so a client can open it."""
        if self._draft.claimed and not self._task.artifact_uri:
            self._task.artifact_uri = uris.from_path(self._draft.path)
            self._changed(self._task)

    async def settle(self) -> None:
        """Everything received is on disk (or failed to be, logged)."""
        self._flush()
        if self._last is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._last)
