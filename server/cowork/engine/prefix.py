"""What the engine remembers of the prefixes it sent, to decide the next one.

Per workspace and prefix hash: when a request last carried the prefix (and with
which cache TTL), and when a task with that map was last sent at all. In memory
only: a restarted server, and every `cowork run` (a new process each), starts
with nothing, so its first task is planned as a lone one. The decision itself is
kinds/prefix_plan.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from cowork.config import Settings
from cowork.context.budget import LocalEstimator
from cowork.engine.model import Task
from cowork.kinds import prefix_apply, prefix_plan
from cowork.kinds.base import Gathered
from cowork.kinds.prompt import SYSTEM_PROMPT, render_part, system_for
from cowork.providers import prices_of, pricing


@dataclass
class _Seen:
    at: float  # the clock when a task with this map was last sent
    cached_at: float | None = None  # ... and when a request last carried it as the prefix
    ttl_s: float = prefix_plan.TTL_S  # that request's cache TTL


class PrefixLog:
    """Recent sends per workspace, and the tasks already planned (so a task is not
    counted as a future reader once it has been sent)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[tuple[Path, str], _Seen] = {}
        self._planned: dict[str, float] = {}  # task id -> when it was sent
        # Tasks are planned in threads: one decision at a time, so that of two tasks of
        # a burst planned together, one writes the prefix and the other reads it.
        self._lock = threading.RLock()

    def outlook(
        self,
        root: Path,
        gathered: Gathered,
        settings: Settings,
        provider: str,
        *,
        batch: bool,
        others: Iterable[str],
        system: str = SYSTEM_PROMPT,
        kind: str = "task",
    ) -> prefix_plan.Outlook | None:
        """What is known of the reuse of `gathered`'s map; None without a map. `others`:
        the ids of the workspace's other queued or running tasks that would send the
        same prefix (the same system prompt: of the same kind)."""
        if gathered.shared is None:
            return None
        now = self._clock()
        seen = self._seen.get((root, prefix_plan.key(gathered.shared, render_part, system)))
        price = pricing.price_for(settings.model, prices_of(settings))
        cached_s = None
        if seen is not None and seen.cached_at is not None and now - seen.cached_at < seen.ttl_s:
            cached_s = now - seen.cached_at
        return prefix_plan.Outlook(
            provider=provider,
            model=settings.model,
            others=sum(1 for i in others if i not in self._planned),
            cached_s=cached_s,
            seen_s=now - seen.at if seen is not None else None,
            batch=batch,
            input_price=price.input if price is not None else None,
            system=system,
            kind=kind,
        )

    def plan(
        self,
        task: Task,
        gathered: Gathered,
        settings: Settings,
        provider: str,
        batch: bool,
        waiting: Iterable[Task],
    ) -> Gathered:
        """`gathered` with the prefix decided for `task` (blocking: renders the map; run
        it in a thread). `waiting`: the engine's queued and running tasks."""
        root, task_id = Path(task.request.workspace), task.task_id
        system = system_for(task.kind)
        # Only a task whose prompt starts with the same bytes can read this one's prefix:
        # a waiting task of another kind (another system prompt) never will.
        others = [
            t.task_id
            for t in waiting
            if t.task_id != task_id
            and t.request.workspace == task.request.workspace
            and system_for(t.kind) == system
        ]
        with self._lock:
            outlook = self.outlook(
                root,
                gathered,
                settings,
                provider,
                batch=batch,
                others=others,
                system=system,
                kind=task.kind,
            )
            planned = prefix_apply.apply(
                replace(gathered, outlook=outlook), LocalEstimator(), render_part
            )
            # Noted at once, not only when sent: a task of the same burst planned meanwhile
            # (tasks gather side by side) reads this one's prefix instead of writing its own.
            self.sent(root, task_id, planned)
        return planned

    def sent(self, root: Path, task_id: str, gathered: Gathered) -> None:
        """`task_id`'s request goes now, with `gathered.prefix` as decided (again: the
        provider's own count may have refitted it)."""
        with self._lock:
            self._note(root, task_id, gathered)

    def _note(self, root: Path, task_id: str, gathered: Gathered) -> None:
        now = self._clock()
        keep = prefix_plan.BATCH_TTL_S
        self._planned = {i: t for i, t in self._planned.items() if now - t < keep}
        self._planned[task_id] = now
        plan, outlook = gathered.prefix, gathered.outlook
        if plan is None or plan.key is None:
            return
        seen = self._seen.setdefault((root, plan.key), _Seen(now))
        seen.at = now
        if plan.sent:
            seen.cached_at = now
            seen.ttl_s = outlook.ttl_s if outlook is not None else prefix_plan.TTL_S
        stale = [k for k, s in self._seen.items() if now - s.at > prefix_plan.BATCH_TTL_S]
        for k in stale:
            del self._seen[k]
