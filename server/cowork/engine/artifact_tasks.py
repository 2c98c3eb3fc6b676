"""What the engine does with artifacts once written: the next version steered by the
feedback written into one, whether one is stale (built from files changed since),
and marking one reviewed. A part of `TaskEngine`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from cowork import artifacts, uris
from cowork.engine import provenance as prov
from cowork.engine import sources
from cowork.engine.core import EngineCore, now
from cowork.engine.model import Task, TaskRequest, TaskState
from cowork.errors import InputError
from cowork.revision import revision_of


class ArtifactTasks(EngineCore):
    """The artifacts' part of `TaskEngine`."""

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
