"""A task's run, from its brief to its artifact: gather, plan the prompt's prefix, fit
the provider's count, generate (or hand over to a batch), check the citations, write
the artifact and its provenance, record it (and a review's findings); a change's
edits tested in their worktree. Failing or cancelled, what the model wrote is kept
and nothing else is left behind. A part of `TaskEngine`."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cowork import artifacts, kinds, providers, templates, uris
from cowork.brief import Brief
from cowork.config import Settings
from cowork.context.budget import LocalEstimator, ScaledEstimator
from cowork.engine import batches, change_flow, costcap, incremental, sources
from cowork.engine import provenance as prov
from cowork.engine.batch_tasks import uninterruptible
from cowork.engine.core import EngineCore, now
from cowork.engine.draft import Draft
from cowork.engine.gatherer import CancelFlag, fit
from cowork.engine.model import Task, TaskState
from cowork.engine.sinks import Quiet, Stream
from cowork.engine.sources import from_provenance
from cowork.engine.store import state_db
from cowork.errors import CoworkError, InputError, TaskFailure
from cowork.kinds import schema_for
from cowork.kinds.answer import finish_answer
from cowork.kinds.base import Gathered, GatherRequest
from cowork.kinds.findings import Finding
from cowork.kinds.prompt import build_prompt, reserved_tokens
from cowork.providers.base import (
    MAX_OUTPUT_TOKENS,
    BatchProvider,
    Completion,
    GenerationRequest,
    Provider,
)
from cowork.revision import Revision, offline_section

log = logging.getLogger("cowork.engine.engine")


class TaskRun(EngineCore):
    """The running part of `TaskEngine`: what happens to a task between the queue
    and its end."""

    async def _done(
        self,
        task: Task,
        written: Path,
        completion: Completion,
        found: list[Finding],
        detail: str | None = None,
        *,
        provenance: dict[str, Any] | None = None,
    ) -> None:
        """Record a finished task: its artifact, usage, the files it was built from and
        (for a review) findings, then done. Done is the last await: a cancel after it
        must not undo the artifact."""
        task.artifact_uri = uris.from_path(written)
        task.usage = completion.usage
        task.provider, task.model = completion.provider, completion.model
        root = Path(task.request.workspace)
        if provenance is not None:  # `cowork tasks` judges staleness from these
            store = await self._store(root)
            found_in = from_provenance(provenance)
            # Kept, and judged at once: edited while the model wrote?
            why = await self._db(sources.record, store, root, task.task_id, found_in)
            self._stale[task.task_id] = bool(why)
        if task.kind == "review":  # a review that found nothing clears the previous one's
            store = await self._store(root)
            found = await self._not_dismissed(store, root, found)
            overlays = self._overlays.get(task.task_id, {})
            await incremental.save_review(self._db, store, task, found, provenance, overlays)
        await self._finish(task, TaskState.DONE, detail=detail)
        if task.kind == "review":
            self._emit_findings(root)

    async def _run(self, task: Task) -> None:
        root = Path(task.request.workspace)
        settings = self.settings_for(root)
        cancelled = CancelFlag(state_db(root).parent / f"cancel-{task.task_id}")
        written: Path | None = None
        # The artifact's file work, in order, off the loop: one thread per task.
        writer = ThreadPoolExecutor(1, thread_name_prefix=f"cowork-artifact-{task.task_id[:8]}")
        draft: Draft | None = None
        try:
            task.state = TaskState.RUNNING
            task.started_at = now()
            task.owner_pid = os.getpid()
            task.provider = settings.resolved_provider()
            await self._save(task)
            self._emit_change(task)

            if task.resumed:  # a re-run after a kill: what the first run left goes first
                await self._drop_change(task)
            spec = kinds.get(task.kind)
            brief = (
                Brief(**prov.brief_args(task.request.brief))
                if task.request.brief
                else await asyncio.to_thread(
                    templates.apply, spec.default_brief(task.request.params, root), root
                )
            )
            if task.kind == "review":
                brief = await self._with_dismissed(brief, root)
            since = await incremental.start(task, self._db, await self._store(root))
            if since is not None:
                brief = incremental.brief_for(brief, since)
                self._emit_progress(task, since.note, 5)
            self._emit_progress(task, "Gathering context", 5)
            gather_request = GatherRequest(
                root=root,
                params=incremental.gather_params(task.request.params, since),
                settings=settings,
                overlays=self._overlays.get(task.task_id, {}),
                cancelled=cancelled,
                reserved_tokens=reserved_tokens(brief, prov.task_revision(task)),
            )
            gathered = await self._gatherer.gather(task.kind, gather_request)
            if (revision := prov.task_revision(task)) is not None:
                report = gathered.offline_report + offline_section(revision)
                gathered = dataclasses.replace(gathered, offline_report=report)
            self._emit_progress(
                task,
                f"Context: {len(gathered.files)} files, ~{gathered.tokens:,} of "
                f"{gathered.budget:,} tokens",
                30,
            )

            # Off the loop: the first use imports an SDK, which takes a while.
            provider = await asyncio.to_thread(providers.create, settings)
            task.provider = provider.name
            batched = await batches.use_batch(
                task,
                settings.batch,
                provider,
                self._ask_batch,
                lambda message: self._emit_progress(task, message, 35),
            )
            waiting = [self._tasks[i] for i in (*self._queue, *self._running)]
            gathered = await asyncio.to_thread(
                self.prefixes.plan, task, gathered, settings, provider.name, batched, waiting
            )
            gathered = await self._fit_by_provider(
                provider, brief, gathered, settings, prov.task_revision(task)
            )
            if provider.name != "offline":
                task.estimate = costcap.estimate(
                    settings, gathered.tokens + gathered.reserved, MAX_OUTPUT_TOKENS, batch=batched
                )
                await costcap.check(task, settings, task.estimate, self._ask_cost)
            self.prefixes.sent(root, task.task_id, gathered)
            if batched:
                assert isinstance(provider, BatchProvider)  # use_batch checked
                await self._submit_batch(task, provider, brief, gathered, settings, since)
                return  # the task waits on its batch, out of the running slots
            draft = await self._loop.run_in_executor(writer, prov.draft_for, root, task)
            completion = await self._generate(
                task, provider, brief, gathered, settings, draft, writer
            )

            found: list[Finding] = []
            extra: dict[str, Any] = {}
            if task.kind == "change" and completion.provider != "offline" and not completion.cut:
                body, change = await self._propose(
                    task, provider, brief, gathered, settings, completion, draft.path
                )
                extra = {"change": change} if change else {}
            else:
                body, found = await asyncio.to_thread(
                    finish_answer,
                    task.kind,
                    completion.provider == "offline",
                    completion.text,
                    gathered.findings,
                    cut=completion.cut,
                    continuations=completion.continuations,
                    title=task.title,
                )
            overlays = self._overlays.get(task.task_id, {})
            if since is not None:
                body, found = await incremental.finish(since, body, found, self._db, overlays)
                extra |= {"incremental": since.to_json()}
            self._emit_progress(task, "Writing the artifact", 95)
            cited = await self._gatherer.check_citations(
                root, gathered.git.head, overlays, body, found
            )
            body, found = cited.body, cited.located
            provenance, content = await asyncio.to_thread(
                prov.artifact,
                task,
                brief,
                gathered,
                completion,
                now(),
                body,
                extra | cited.provenance(),
            )
            written = await uninterruptible(
                self._loop.run_in_executor(writer, draft.finish, content)
            )
            if (revision := prov.task_revision(task)) is not None:
                await self._loop.run_in_executor(
                    writer, artifacts.link_revision, Path(revision.artifact), written
                )
            await self._done(task, written, completion, found, provenance=provenance)
        except asyncio.CancelledError:
            await self._take_back(task, written)
            if self._closing:
                # The server is stopping: the task stays running in the store and is
                # resumed on restart, which replaces the draft (marked `writing`) and
                # a change's half-made worktree.
                raise
            if draft is not None:
                await self._loop.run_in_executor(writer, draft.discard)
            task.artifact_uri = None
            await self._drop_change(task)
            await self._finish(task, TaskState.CANCELLED, detail="cancelled")
        except CoworkError as exc:
            await self._fail(task, str(exc), draft, writer)
        except Exception as exc:
            log.exception("task %s failed", task.task_id)
            await self._fail(
                task,
                f"internal error: {type(exc).__name__}: {exc} (see the server log)",
                draft,
                writer,
            )
        finally:
            writer.shutdown(wait=False)

    async def _fail(
        self, task: Task, reason: str, draft: Draft | None, writer: ThreadPoolExecutor
    ) -> None:
        """Fail `task`; text a model had written is kept in its draft, marked incomplete."""
        task.artifact_uri = None
        await self._drop_change(task)
        if draft is not None:
            try:
                kept = await self._loop.run_in_executor(writer, draft.failed, reason)
            except OSError:
                log.exception("task %s: could not mark its draft incomplete", task.task_id)
            else:
                task.artifact_uri = uris.from_path(kept) if kept is not None else None
        await self._finish(task, TaskState.FAILED, error=reason)

    async def _propose(
        self,
        task: Task,
        provider: Provider,
        brief: Brief,
        gathered: Gathered,
        settings: Settings,
        completion: Completion,
        artifact: Path,
    ) -> tuple[str, dict[str, Any]]:
        """A change's edits applied and tested in its worktree (change_flow)."""
        quiet = Quiet(self._emit_progress, task, provider.name)
        return await change_flow.finish_change(
            task_id=task.task_id,
            root=Path(task.request.workspace),
            params=task.request.params,
            overlays=self._overlays.get(task.task_id, {}),
            request=await asyncio.to_thread(
                self._request, task, brief, gathered, settings, provider.name
            ),
            completion=completion,
            generate=lambda request: provider.generate(request, quiet),
            settings=settings,
            progress=lambda message: self._emit_progress(task, message, None),
            log=artifact.with_suffix(".log"),
        )

    async def _drop_change(self, task: Task) -> None:
        """A change that did not finish leaves no worktree, branch or state behind."""
        if task.kind == "change":
            await asyncio.to_thread(change_flow.discard, Path(task.request.workspace), task.task_id)

    async def discard_change(self, task_id: str) -> bool:
        """Remove a proposed change's worktree and branch; whether there was one."""
        task = self.get(task_id)
        if task.kind != "change":
            raise InputError(f"task {task_id} is a {task.kind}, not a change")
        return await asyncio.to_thread(
            change_flow.discard, Path(task.request.workspace), task.task_id
        )

    async def proposed(self, task_id: str) -> change_flow.Pending:
        """A change waiting to be applied: its edits, worktree and branch."""
        task = self.get(task_id)
        if task.kind != "change" or task.state is not TaskState.DONE:
            raise InputError(f"task {task_id} is not a finished change")
        return await asyncio.to_thread(
            change_flow.pending, Path(task.request.workspace), task.task_id
        )

    def _request(
        self, task: Task, brief: Brief, gathered: Gathered, settings: Settings, provider: str
    ) -> GenerationRequest:
        return GenerationRequest(
            prompt=build_prompt(brief, gathered, prov.task_revision(task)),
            model=settings.model,
            offline_report=gathered.offline_report,
            # the offline provider answers with its own report: no schema to make (its
            # pydantic models cost a CLI run a tenth of a second of start-up)
            output_schema=schema_for(task.kind) if provider != "offline" else None,
            max_continuations=settings.max_continuations,
        )

    async def _fit_by_provider(
        self,
        provider: Provider,
        brief: Brief,
        gathered: Gathered,
        settings: Settings,
        revision: Revision | None = None,
    ) -> Gathered:
        """Make sure the provider's own token count, not just the local estimate, is
        within the budget: if it is over, fit again with the estimate scaled by the
        ratio just measured (twice at most)."""
        factor = 1.0
        for _ in range(3):
            request = GenerationRequest(
                prompt=await asyncio.to_thread(build_prompt, brief, gathered, revision),
                model=settings.model,
                offline_report=gathered.offline_report,
            )
            counted = await provider.count_tokens(request)
            if counted is None or counted <= gathered.budget:
                return gathered
            estimated = await asyncio.to_thread(LocalEstimator().count, request.prompt.as_text())
            # The real tokens per estimated token, with a margin; never less than before.
            factor = max(factor * 1.05, counted / max(1, estimated) * 1.05)
            scaled = ScaledEstimator(LocalEstimator(), factor)
            gathered = await asyncio.to_thread(fit, gathered, scaled)
        raise TaskFailure(
            f"the context does not fit the {gathered.budget:,}-token budget by "
            f"{provider.name}'s count; raise cowork.contextBudgetTokens or narrow the task"
        )

    async def _generate(
        self,
        task: Task,
        provider: Provider,
        brief: Brief,
        gathered: Gathered,
        settings: Settings,
        draft: Draft,
        writer: ThreadPoolExecutor,
    ) -> Completion:
        self._emit_progress(task, f"Writing with {provider.name}", 40)
        stream = Stream(
            self._loop, self._emit_progress, self._emit_change, task, provider.name, draft, writer
        )
        request = await asyncio.to_thread(
            self._request, task, brief, gathered, settings, provider.name
        )
        try:
            return await provider.generate(request, stream)
        finally:
            await stream.settle()
