"""What the parts of the task engine share: the time stamp, and the members of
`TaskEngine` that its parts (`task_run`, `batch_tasks`, `finding_tasks`,
`artifact_tasks`) use."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from cowork.config import Settings
from cowork.engine.model import Task, TaskState
from cowork.engine.store import Store
from cowork.kinds.findings import Finding
from cowork.providers.base import Completion

if TYPE_CHECKING:
    from cowork.brief import Brief
    from cowork.engine import batches, costcap, incremental
    from cowork.engine.gatherer import Gatherer
    from cowork.engine.prefix import PrefixLog
    from cowork.kinds.base import Gathered
    from cowork.providers.base import BatchProvider

T = TypeVar("T")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class EngineCore:
    """What the parts of `TaskEngine` use of it, declared for them (the engine defines
    each; a part that calls one of these reaches the engine's)."""

    _loop: asyncio.AbstractEventLoop
    _closing: bool
    _collecting: dict[str, asyncio.Task[None]]
    _loaded: asyncio.Event
    _stores: dict[Path, Store]
    _tasks: dict[str, Task]
    _queue: deque[str]
    _running: dict[str, asyncio.Task[None]]
    _overlays: dict[str, dict[str, str]]  # the editor's unsaved text a task was built from
    _stale: dict[str, bool]
    _gatherer: Gatherer
    _ask_batch: batches.BatchQuestion | None
    _ask_cost: costcap.CostQuestion | None
    prefixes: PrefixLog

    async def _take_back(self, task: Task, written: Path | None) -> None:
        """The artifact of a task cancelled just after it was written is removed."""
        if written is not None:
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(written.unlink)
            task.artifact_uri = None

    def get(self, task_id: str) -> Task:
        raise NotImplementedError

    def tasks(self) -> list[Task]:
        raise NotImplementedError

    async def open_workspace(self, root: Path, *, resume: bool) -> list[Task]:
        raise NotImplementedError

    def _emit_progress(self, task: Task, message: str, percentage: int | None = None) -> None:
        raise NotImplementedError

    def _emit_change(self, task: Task) -> None:
        raise NotImplementedError

    def _emit_findings(self, root: Path) -> None:
        raise NotImplementedError

    def settings_for(self, root: Path) -> Settings:
        raise NotImplementedError

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        raise NotImplementedError

    async def _store(self, root: Path) -> Store:
        raise NotImplementedError

    async def _save(self, task: Task, detail: str | None = None) -> None:
        raise NotImplementedError

    async def _finish(
        self, task: Task, state: TaskState, *, error: str | None = None, detail: str | None = None
    ) -> None:
        raise NotImplementedError

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
        raise NotImplementedError

    async def _submit_batch(
        self,
        task: Task,
        provider: BatchProvider,
        brief: Brief,
        gathered: Gathered,
        settings: Settings,
        since: incremental.Since | None = None,
    ) -> None:
        raise NotImplementedError

    async def _with_dismissed(self, brief: Brief, root: Path) -> Brief:
        raise NotImplementedError

    async def _not_dismissed(self, store: Store, root: Path, found: list[Finding]) -> list[Finding]:
        raise NotImplementedError
