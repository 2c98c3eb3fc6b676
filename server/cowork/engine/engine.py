"""The task engine: queue, lifecycle, cancellation, persistence, resume.

Runs on the asyncio loop of whoever drives it (the LSP server or the CLI).
Blocking work goes to threads: gathering to the loop's default executor,
SQLite to one dedicated thread so writes stay ordered.

A task sent as a batch (see `batches`) leaves the running slots once it is
submitted: waiting on the batch, it stays `running` but does not hold back the
queue, and a restarted server goes on waiting instead of re-running it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import os
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from cowork import artifacts, kinds, providers, templates, uris
from cowork.brief import Brief
from cowork.config import Settings
from cowork.context.budget import LocalEstimator, ScaledEstimator
from cowork.engine import batches, change_flow, citecheck, costcap, incremental, sources
from cowork.engine import provenance as prov
from cowork.engine.batch_tasks import BatchTasks, uninterruptible
from cowork.engine.core import now
from cowork.engine.draft import Draft
from cowork.engine.finding_tasks import FindingTasks
from cowork.engine.gatherer import CancelFlag, Gatherer, fit
from cowork.engine.model import (
    Estimate,
    Task,
    TaskRequest,
    TaskState,
)
from cowork.engine.prefix import PrefixLog
from cowork.engine.sinks import Quiet, Stream
from cowork.engine.sources import from_provenance
from cowork.engine.store import Store, state_db
from cowork.errors import CoworkError, InputError, TaskFailure
from cowork.kinds import schema_for
from cowork.kinds.answer import finish_answer
from cowork.kinds.base import Gathered, GatherRequest
from cowork.kinds.findings import Finding
from cowork.kinds.prompt import build_prompt, reserved_tokens
from cowork.processes import pid_alive
from cowork.providers import pricing
from cowork.providers.base import (
    MAX_OUTPUT_TOKENS,
    BatchProvider,
    Completion,
    GenerationRequest,
    Provider,
)
from cowork.revision import Revision, offline_section, revision_of

log = logging.getLogger(__name__)
T = TypeVar("T")

ChangeListener = Callable[[Task], None]
ProgressListener = Callable[[Task, str, int | None], None]
FindingsListener = Callable[[Path], None]  # told the workspace whose findings changed


def _tell(listeners: list[Callable[..., None]], what: str, *args: Any) -> None:
    """Call each listener; one that fails is logged and does not stop the others."""
    for listener in listeners:
        try:
            listener(*args)
        except Exception:
            log.exception("%s listener failed", what)


class TaskEngine(BatchTasks, FindingTasks):
    """Runs tasks for one or more workspace folders, `max_concurrent_tasks` at a time.

    Create it inside a running event loop (it binds to that loop).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        gather_in_processes: bool = False,
        prefixes: PrefixLog | None = None,
    ) -> None:
        self.settings = settings  # the window's; `max_concurrent_tasks` counts across folders
        self.prefixes = prefixes or PrefixLog()  # recent sends: what the cached prefix needs
        self._folder_settings: dict[Path, Settings] = {}
        # The server gathers in worker processes so its event loop keeps the GIL;
        # the CLI, with no editor waiting, uses threads and starts faster.
        self._gatherer = Gatherer(
            processes=gather_in_processes,
            workers=min(settings.max_concurrent_tasks, os.cpu_count() or 2),
        )
        self._loop = asyncio.get_running_loop()
        self._db_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cowork-db")
        self._stores: dict[Path, Store] = {}
        self._tasks: dict[str, Task] = {}
        self._queue: deque[str] = deque()
        self._running: dict[str, asyncio.Task[None]] = {}
        # Tasks waiting on a batch, by id: not counted against max_concurrent_tasks.
        self._collecting: dict[str, asyncio.Task[None]] = {}
        self._ask_batch: batches.BatchQuestion | None = None
        self._ask_cost: costcap.CostQuestion | None = None
        self._overlays: dict[str, dict[str, str]] = {}
        self._stale: dict[str, bool] = {}  # a finished task's artifact, as last judged
        self._waiters: dict[str, list[asyncio.Future[Task]]] = {}
        self._change_listeners: list[ChangeListener] = []
        self._findings_listeners: list[FindingsListener] = []
        self._progress_listeners: list[ProgressListener] = []
        self._closing = False
        # Set once the driver has loaded (and resumed) the workspaces' past tasks;
        # until then a query would wrongly answer "no such task".
        self._loaded = asyncio.Event()

    def start_workers(self) -> None:
        """Start the gathering workers in the background (a server does it at once, so
        that its first task does not wait for them, and its event loop never does)."""
        self._gatherer.start()

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

    # -- listeners ---------------------------------------------------------------

    def on_change(self, listener: ChangeListener) -> None:
        self._change_listeners.append(listener)

    def on_progress(self, listener: ProgressListener) -> None:
        self._progress_listeners.append(listener)

    def on_findings(self, listener: FindingsListener) -> None:
        self._findings_listeners.append(listener)

    def remove_listener(self, listener: object) -> None:
        """Stop telling `listener` (given to one of the `on_…` methods)."""
        for listeners in (self._change_listeners, self._progress_listeners):
            if listener in listeners:
                listeners.remove(listener)  # type: ignore[arg-type]

    def _emit_findings(self, root: Path) -> None:
        _tell(self._findings_listeners, "findings", root)

    def _emit_change(self, task: Task) -> None:
        _tell(self._change_listeners, "task change", task)

    def _emit_progress(self, task: Task, message: str, percentage: int | None = None) -> None:
        _tell(self._progress_listeners, "task progress", task, message, percentage)

    def set_cost_question(self, ask: costcap.CostQuestion) -> None:
        """How to ask whether a task over `maxCostUsdPerTask` runs anyway (the LSP
        layer's; without one, such a task fails with the figures)."""
        self._ask_cost = ask

    def set_batch_question(self, ask: batches.BatchQuestion) -> None:
        """How to ask the user whether a task goes as a batch (setting `batch: ask`):
        True for a batch. Without it, `ask` runs tasks at once."""
        self._ask_batch = ask

    # -- settings ----------------------------------------------------------------

    def update_settings(
        self, settings: Settings, folders: dict[Path, Settings] | None = None
    ) -> None:
        """New settings apply to tasks that start from now on; a raised limit starts queued
        ones. `folders`: the settings of workspace folders that have their own."""
        self.settings = settings
        self._folder_settings = dict(folders or {})
        self._pump()

    def settings_for(self, root: Path) -> Settings:
        """The settings of tasks in the workspace folder `root`."""
        return self._folder_settings.get(root, self.settings)

    # -- storage -----------------------------------------------------------------

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._loop.run_in_executor(self._db_pool, fn, *args)

    async def _store(self, root: Path) -> Store:
        store = self._stores.get(root)
        if store is None:

            def open_store() -> Store:
                artifacts.cowork_dir(root)
                return Store(state_db(root))

            store = await self._db(open_store)
            self._stores[root] = store
        return store

    async def _save(self, task: Task, detail: str | None = None) -> None:
        store = await self._store(Path(task.request.workspace))
        await self._db(store.save, task, detail)

    async def open_workspace(self, root: Path, *, resume: bool) -> list[Task]:
        """Load a workspace's past tasks, if it has any. With `resume`, tasks whose
        server died are marked interrupted and re-run once, but for those waiting on
        a batch: this server waits on it in their place. Returns those re-queued."""
        self._gatherer.prime(root, self.settings)  # warm workers before the first task
        if not state_db(root).exists():
            return []
        store = await self._store(root)
        loaded = await self._db(store.tasks)
        if resume:  # proposed changes nobody applied or discarded in time
            days = self.settings.worktree_retention_days
            for old in await asyncio.to_thread(change_flow.remove_stale, root, days):
                log.info("removed the worktree of change %s (older than %d days)", old, days)
        requeued: list[Task] = []
        for task in reversed(loaded):  # oldest first, so the queue keeps their order
            if task.task_id in self._tasks:
                continue
            self._tasks[task.task_id] = task
            if not resume or task.state not in (TaskState.RUNNING, TaskState.QUEUED):
                continue
            if pid_alive(task.owner_pid):
                continue  # another live server (another editor window) owns it
            if task.state is TaskState.RUNNING and task.batch_id and task.batch is not None:
                gone, task.owner_pid = task.owner_pid, os.getpid()
                await self._save(
                    task, f"server process {gone} is gone; waiting on batch {task.batch_id} here"
                )
                self._emit_change(task)
                self._collect(task, None, at_once=True)
                continue
            task.state = TaskState.INTERRUPTED
            task.finished_at = now()
            await self._save(task, f"server process {task.owner_pid} is gone")
            self._emit_change(task)
            if task.resumed >= 1:
                task.error = "interrupted twice; not re-run again. Run it again when ready."
                await self._save(task)
                self._emit_change(task)
                continue
            task.resumed += 1
            self._requeue(task)
            await self._save(task, "re-run after an interruption")
            self._emit_change(task)
            requeued.append(task)
        self._pump()
        return requeued

    def mark_loaded(self) -> None:
        """The workspaces' past tasks are loaded: queries waiting in `loaded` go ahead."""
        self._loaded.set()

    @property
    def is_loaded(self) -> bool:
        return self._loaded.is_set()

    async def loaded(self) -> None:
        """Until `mark_loaded` (a server answers queries only once it knows past tasks)."""
        await self._loaded.wait()

    # -- submitting --------------------------------------------------------------

    def prepare(
        self,
        kind: str,
        root: Path,
        params: dict[str, Any],
        brief: Brief | None = None,
        brief_uri: str | None = None,
        args: dict[str, Any] | None = None,
    ) -> TaskRequest:
        """Validate a hand-off (cheap: no file reading). InputError when it is wrong.
        `args`: the command's argument as the client sent it, kept for running it again."""
        spec = kinds.get(kind)
        if not isinstance(params, dict):
            raise InputError(f"the arguments must be one JSON object, got {type(params).__name__}")
        clean = spec.validate(params, root)
        return TaskRequest(
            kind=kind,
            workspace=str(root),
            params=clean,
            brief_uri=brief_uri,
            brief=brief.to_json() if brief else None,
            args=dict(args) if args is not None else None,
        )

    async def prepare_revision(self, path: Path, text: str | None = None) -> TaskRequest:
        """The next version of the artifact at `path`, steered by the feedback written
        into it (`text`: as the editor has it; else read from disk): the same kind,
        arguments and brief as the task that wrote it. InputError when it has no
        feedback, or that task is not in its workspace's history."""
        if text is None:
            try:
                text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            except OSError as exc:
                raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
        root = artifacts.artifact_root(path)
        if root is None:
            raise InputError(f"{path} is not an artifact (not in a .cowork/artifacts folder)")
        data, revision = revision_of(path, text)
        await self.open_workspace(root, resume=False)  # the CLI has not loaded it yet
        parent = self._tasks.get(str(data["taskId"]))
        if parent is None:
            raise InputError(
                f"the task that wrote {path.name} ({data['taskId']}) is not in this "
                "workspace's task history, so its hand-off cannot be repeated"
            )
        return TaskRequest(
            kind=parent.kind,
            workspace=parent.request.workspace,
            params=dict(parent.request.params),
            brief_uri=parent.request.brief_uri,
            brief=parent.request.brief,
            parent_id=parent.task_id,
            revision=revision.to_json(),
        )

    async def records(self) -> list[dict[str, Any]]:
        """Every task's record, with `stale`: whether a finished task's artifact was
        built from files that changed since (from the task database; hashes only the
        files whose size or time moved)."""
        out = []
        for task in self.tasks():
            if task.state is TaskState.DONE:
                await self._judge_stale(task, Path(task.request.workspace))
            out.append(self.record(task))
        return out

    def record(self, task: Task) -> dict[str, Any]:
        """The task's record with `stale` as last judged (when it finished, was marked
        reviewed, or was listed): what `cowork/taskChanged` carries."""
        stale = task.state is TaskState.DONE and self._stale.get(task.task_id, False)
        return task.to_record() | {"stale": stale}

    async def _judge_stale(self, task: Task, root: Path) -> None:
        if task.artifact_uri:
            store = await self._store(root)
            artifact = uris.to_path(task.artifact_uri)
            why = await self._db(sources.stale, store, root, task.task_id, artifact)
            self._stale[task.task_id] = bool(why)

    async def mark_reviewed(self, path: Path) -> Task:
        """Record that a person reviewed the artifact at `path`: `status: reviewed` (and
        who and when, from git's config) in its front matter and in its task's record."""
        root = artifacts.artifact_root(path)
        if root is None:
            raise InputError(f"{path} is not an artifact (not in a .cowork/artifacts folder)")
        try:
            data = await asyncio.to_thread(artifacts.read_provenance, path)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read {path.name}: {exc}") from None
        await self.open_workspace(root, resume=False)  # the CLI has not loaded it yet
        task = self._tasks.get(str(data.get("taskId")))
        if task is None:
            raise InputError(f"{path.name} belongs to no task of this workspace's history")
        if task.state is not TaskState.DONE or data.get("status") in ("writing", "incomplete"):
            raise InputError(f"{path.name} is not a finished draft (task {task.state.value})")
        who = await asyncio.to_thread(prov.reviewer, root)
        at = now()
        changed = {"status": "reviewed", "reviewedBy": who, "reviewedAt": at}
        if await asyncio.to_thread(artifacts.update_front_matter, path, changed) is None:
            raise InputError(f"{path.name} has no front matter to mark")
        task.reviewed = {"by": who, "at": at}
        await self._save(task, f"marked reviewed by {who}")
        await self._judge_stale(task, root)
        self._emit_change(task)
        return task

    async def estimate(
        self, request: TaskRequest, brief: Brief, overlays: dict[str, str] | None = None
    ) -> Estimate:
        """What `request` would send if it ran now: its context gathered and fitted to the
        budget as a task would (in the same gathering processes), and the input's cost
        at the configured model's price. Nothing is stored or sent."""
        root = Path(request.workspace)
        settings = self.settings_for(root)
        reserved = reserved_tokens(brief)
        flag = CancelFlag(state_db(root).parent / f"estimate-{uuid.uuid4().hex[:12]}")
        gathered = await self._gatherer.gather(
            request.kind,
            GatherRequest(root, request.params, settings, overlays or {}, flag, reserved),
        )
        provider = settings.resolved_provider()
        tokens = gathered.tokens + reserved
        price = None
        if provider != "offline":
            price = pricing.price_for(settings.model, providers.prices_of(settings))
        return Estimate(
            tokens=tokens,
            budget=gathered.budget,
            files=len(gathered.files),
            cuts=[what for what, _ in gathered.cuts],
            provider=provider,
            model=settings.model,
            input_cost_usd=tokens * price.input / 1e6 if price is not None else None,
        )

    async def submit(self, request: TaskRequest, overlays: dict[str, str] | None = None) -> Task:
        """Queue a task; returns at once with its record (state `queued`)."""
        if self._closing:
            raise InputError("the server is shutting down; hand the task off again after restart")
        spec = kinds.get(request.kind)
        title = (request.brief or {}).get("title") or spec.title(request.params)
        if request.revision:
            title = f"{title} (v{request.revision['version']})"
        task = Task(
            task_id=uuid.uuid4().hex[:12],
            request=request,
            title=title,
            state=TaskState.QUEUED,
            created_at=now(),
            owner_pid=os.getpid(),
        )
        self._tasks[task.task_id] = task
        if overlays:
            self._overlays[task.task_id] = overlays
        await self._save(task)
        self._emit_change(task)
        self._queue.append(task.task_id)
        self._pump()
        return task

    def _requeue(self, task: Task) -> None:
        task.state = TaskState.QUEUED
        task.started_at = task.finished_at = task.error = task.artifact_uri = None
        task.batch_id, task.batch = None, None
        task.owner_pid = os.getpid()
        self._queue.append(task.task_id)

    # -- queries -----------------------------------------------------------------

    def get(self, task_id: str) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise InputError(f"no task with id {task_id!r}") from None

    def tasks(self) -> list[Task]:
        """All known tasks, newest first."""
        return sorted(self._tasks.values(), key=lambda t: t.created_at, reverse=True)

    async def wait(self, task_id: str) -> Task:
        """Until the task is done, failed or cancelled."""
        task = self.get(task_id)
        if task.state.finished:
            return task
        fut: asyncio.Future[Task] = self._loop.create_future()
        self._waiters.setdefault(task_id, []).append(fut)
        return await fut

    # -- cancelling --------------------------------------------------------------

    async def cancel(self, task_id: str) -> Task:
        """Stop a queued or running task. A finished task is returned unchanged."""
        task = self.get(task_id)
        # A task that has just handed over to its batch may be in both: the batch counts.
        runner = self._collecting.get(task_id) or self._running.get(task_id)
        if task.task_id in self._queue:
            self._queue.remove(task.task_id)
            await self._finish(task, TaskState.CANCELLED, detail="cancelled while queued")
        elif runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(runner)
        return task

    # -- running -----------------------------------------------------------------

    def _pump(self) -> None:
        while self._queue and len(self._running) < self.settings.max_concurrent_tasks:
            task_id = self._queue.popleft()
            runner = self._loop.create_task(
                self._run(self._tasks[task_id]), name=f"cowork-{task_id}"
            )
            self._running[task_id] = runner  # a strong reference until it ends
            runner.add_done_callback(functools.partial(self._runner_done, task_id))

    def _runner_done(self, task_id: str, runner: asyncio.Task[None]) -> None:
        self._running.pop(task_id, None)
        if not runner.cancelled() and runner.exception() is not None:
            log.error("task %s runner crashed", task_id, exc_info=runner.exception())
        if not self._closing:
            self._pump()

    async def _finish(
        self, task: Task, state: TaskState, *, error: str | None = None, detail: str | None = None
    ) -> None:
        task.state = state
        task.error = error
        task.finished_at = now()
        self._overlays.pop(task.task_id, None)
        await self._save(task, detail or error)
        self._emit_change(task)
        for fut in self._waiters.pop(task.task_id, []):
            if not fut.done():
                fut.set_result(task)

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
            cited = await asyncio.to_thread(
                citecheck.verify, root, gathered.git.head, overlays, body, found
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
            if written is not None:
                with contextlib.suppress(FileNotFoundError):
                    await asyncio.to_thread(written.unlink)
                task.artifact_uri = None
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

    # -- shutting down -----------------------------------------------------------

    async def close(self) -> None:
        """Stop running tasks without marking them cancelled: a restart resumes them."""
        self._closing = True
        runners = [*self._running.values(), *self._collecting.values()]
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)
        for store in self._stores.values():
            await self._db(store.close)
        self._stores.clear()
        self._db_pool.shutdown(wait=False)
        self._gatherer.close()
