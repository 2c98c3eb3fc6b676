"""Tasks sent as a batch: submitted once their context is gathered, then waited on
in the background (across restarts) and written from the batch's result. A part of
`TaskEngine`, kept apart because it is a lifecycle of its own."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

from cowork import artifacts, providers
from cowork.brief import Brief
from cowork.config import Settings
from cowork.engine import batches, incremental
from cowork.engine import provenance as prov
from cowork.engine.core import EngineCore, now
from cowork.engine.model import BatchWait, Task, TaskState
from cowork.errors import CoworkError, TaskFailure
from cowork.kinds import schema_for
from cowork.kinds.answer import finish_answer
from cowork.kinds.base import Gathered
from cowork.kinds.prompt import build_prompt
from cowork.providers.base import BatchProvider, GenerationRequest

log = logging.getLogger("cowork.engine.engine")
T = TypeVar("T")


async def uninterruptible(coro: Awaitable[Path]) -> Path:
    """Run a write to its end even if cancelled meanwhile; then re-raise the cancel.

    The caller deletes what was written, so a cancel never leaves half a file
    and never races with the rename.
    """
    fut = asyncio.ensure_future(coro)
    try:
        return await asyncio.shield(fut)
    except asyncio.CancelledError:
        path = await fut
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(Path(path).unlink)
        raise


class BatchTasks(EngineCore):
    """The batch part of `TaskEngine`."""

    async def _submit_batch(
        self,
        task: Task,
        provider: BatchProvider,
        brief: Brief,
        gathered: Gathered,
        settings: Settings,
        since: incremental.Since | None = None,
    ) -> None:
        """Send the task as a batch, keep what is needed to finish it, and start waiting."""
        self._emit_progress(task, f"Submitting to the {provider.name} batch API", 40)
        request = GenerationRequest(
            prompt=await asyncio.to_thread(build_prompt, brief, gathered, prov.task_revision(task)),
            model=settings.model,
            offline_report=gathered.offline_report,
            output_schema=schema_for(task.kind),
        )

        def retrying(attempt: int, of: int, wait_s: float, why: str) -> None:
            self._emit_progress(
                task, f"Retrying in {wait_s:.1f} s (attempt {attempt} of {of}): {why}", None
            )

        batch_id = await provider.submit_batch(task.task_id, request, retrying)
        task.batch_id = batch_id
        task.batch = BatchWait(
            submitted_at=now(),
            provenance=prov.provenance(task, brief, gathered) | incremental.kept(since),
        )
        task.model = settings.model
        try:
            await self._save(task, f"submitted as batch {batch_id}")
        except asyncio.CancelledError:
            if not self._closing:  # cancelled by the user: the batch goes too
                await self._cancel_batch(task, provider, batch_id)
            raise
        self._emit_change(task)
        self._collect(task, provider, at_once=False)

    def _collect(self, task: Task, provider: BatchProvider | None, *, at_once: bool) -> None:
        """Wait on the task's batch in the background (a provider is made if None)."""
        runner = self._loop.create_task(
            self._await_batch(task, provider, at_once=at_once), name=f"cowork-batch-{task.task_id}"
        )
        self._collecting[task.task_id] = runner  # a strong reference until it ends
        runner.add_done_callback(functools.partial(self._collector_done, task.task_id))

    def _collector_done(self, task_id: str, runner: asyncio.Task[None]) -> None:
        self._collecting.pop(task_id, None)
        if not runner.cancelled() and runner.exception() is not None:
            log.error("task %s batch waiter crashed", task_id, exc_info=runner.exception())

    async def _batch_provider(self, task: Task) -> BatchProvider:
        """The provider the task's batch went to, whatever the settings say now."""
        settings = dataclasses.replace(
            self.settings_for(Path(task.request.workspace)),
            provider=task.provider or "anthropic",
        )
        try:
            provider = await asyncio.to_thread(providers.create, settings)
        except TaskFailure as exc:  # e.g. no API key in this server's environment
            raise TaskFailure(f"cannot read batch {task.batch_id}: {exc}") from None
        if not isinstance(provider, BatchProvider):
            raise TaskFailure(f"the {provider.name} provider cannot read batch {task.batch_id}")
        return provider

    async def _cancel_batch(self, task: Task, provider: BatchProvider | None, batch_id: str) -> str:
        """Cancel the batch, best effort; what happened, for the task's history."""
        try:
            provider = provider or await self._batch_provider(task)
            await provider.cancel_batch(batch_id)
        except CoworkError as exc:
            log.warning("task %s: %s", task.task_id, exc)
            return f"cancelled; {exc}"
        return f"cancelled; batch {batch_id} cancelled too"

    async def _await_batch(
        self, task: Task, provider: BatchProvider | None, *, at_once: bool
    ) -> None:
        """Poll the task's batch until it ends, then write the artifact from its result
        and the provenance kept at submission. Cancelled by the user: cancels the
        batch. Cancelled because the server stops: the task stays running in the
        store, and the next server takes over."""
        assert task.batch_id is not None and task.batch is not None
        batch_id, wait = task.batch_id, task.batch
        written: Path | None = None
        ended = False
        try:
            if provider is None:
                provider = await self._batch_provider(task)
            self._emit_progress(task, batches.waiting(wait.submitted_at), 50)
            completion = await batches.wait_for_result(
                provider,
                batch_id,
                task.task_id,
                submitted_at=wait.submitted_at,
                at_once=at_once,
                report=lambda message: self._emit_progress(task, message, 50),
            )
            ended = True
            self._emit_progress(task, "Writing the artifact", 95)
            body, found = await asyncio.to_thread(
                finish_answer,
                task.kind,
                False,
                completion.text,
                [],
                cut=completion.cut,
                title=task.title,
            )
            root = Path(task.request.workspace)
            store = await self._store(root)
            body, found, extra = await incremental.after_batch(
                wait.provenance, body, found, self._db, store, root
            )
            head = (wait.provenance.get("git") or {}).get("head")
            cited = await self._gatherer.check_citations(root, head, {}, body, found)
            body, found = cited.body, cited.located
            provenance = prov.completed(wait.provenance, completion, now()) | {"batch": batch_id}
            provenance |= extra
            provenance |= cited.provenance()
            content = await asyncio.to_thread(artifacts.render, provenance, body)
            draft = await asyncio.to_thread(prov.draft_for, Path(task.request.workspace), task)
            written = await uninterruptible(asyncio.to_thread(draft.finish, content))
            task.batch = None
            await self._done(
                task,
                written,
                completion,
                found,
                f"batch {batch_id} collected",
                provenance=provenance,
            )
        except asyncio.CancelledError:
            await self._take_back(task, written)
            if self._closing:
                raise  # still running in the store: the next server waits on the batch
            detail = "cancelled" if ended else await self._cancel_batch(task, provider, batch_id)
            task.batch = None
            await self._finish(task, TaskState.CANCELLED, detail=detail)
        except CoworkError as exc:
            task.batch = None
            await self._finish(task, TaskState.FAILED, error=str(exc))
        except Exception as exc:
            log.exception("task %s: waiting on batch %s failed", task.task_id, batch_id)
            task.batch = None
            await self._finish(
                task,
                TaskState.FAILED,
                error=f"internal error: {type(exc).__name__}: {exc} (see the server log)",
            )
