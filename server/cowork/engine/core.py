"""What the parts of the task engine share: the time stamp, and the members of
`TaskEngine` that its parts (`batch_tasks`, `finding_tasks`) use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from cowork.config import Settings
from cowork.engine.model import Task, TaskState
from cowork.engine.store import Store
from cowork.kinds.findings import Finding
from cowork.providers.base import Completion

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
