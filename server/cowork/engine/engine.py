"""The task engine: queue, lifecycle, cancellation, persistence, resume.

Runs on the asyncio loop of whoever drives it (the LSP server or the CLI).
Blocking work goes elsewhere: gathering to the gatherer's workers (processes in
the server), SQLite to one dedicated thread so writes stay ordered, the rest to
threads. Its parts: `task_run` (a task from the queue to its artifact),
`batch_tasks`, `finding_tasks`, `artifact_tasks`.

A task sent as a batch (see `batches`) leaves the running slots once it is
submitted: waiting on the batch, it stays `running` but does not hold back the
queue, and a restarted server goes on waiting instead of re-running it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from cowork import artifacts, kinds, providers
from cowork.brief import Brief
from cowork.config import Settings
from cowork.engine import batches, change_flow, costcap
from cowork.engine.artifact_tasks import ArtifactTasks
from cowork.engine.batch_tasks import BatchTasks
from cowork.engine.core import now
from cowork.engine.finding_tasks import FindingTasks
from cowork.engine.gatherer import CancelFlag, Gatherer
from cowork.engine.model import (
    Estimate,
    Task,
    TaskRequest,
    TaskState,
)
from cowork.engine.prefix import PrefixLog
from cowork.engine.store import Store, state_db
from cowork.engine.task_run import TaskRun
from cowork.errors import InputError
from cowork.kinds.base import GatherRequest
from cowork.kinds.prompt import reserved_tokens
from cowork.processes import pid_alive
from cowork.providers import pricing

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


class TaskEngine(TaskRun, BatchTasks, FindingTasks, ArtifactTasks):
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
            # One CPU is left to the editor and this process's event loop: with every
            # CPU gathering, a code action's p99 under load was 4.5x idle on 2 CPUs
            # (1 worker: 1.7-3.9x, and 60 MB less; bench/latency.py).
            workers=min(settings.max_concurrent_tasks, max(1, (os.cpu_count() or 2) - 1)),
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
