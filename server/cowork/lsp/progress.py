"""Engine events → the client: `cowork/taskChanged`, work-done progress, completion.

Each task gets its own progress channel, consumed in order by one coroutine,
so `begin` always follows `create` and `end` always comes last, even when a
task finishes before the client has answered the create request.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from cowork import uris
from cowork.config import Settings
from cowork.engine.model import Task, TaskState
from cowork.lsp.server import CoworkServer

log = logging.getLogger(__name__)

TASK_CHANGED = "cowork/taskChanged"


@dataclass(frozen=True)
class _Report:
    message: str
    percentage: int | None


@dataclass(frozen=True)
class _End:
    message: str


class TaskProgress:
    def __init__(self, server: CoworkServer) -> None:
        self.server = server
        self.channels: dict[str, asyncio.Queue[_Report | _End]] = {}

    def attach(self) -> None:
        engine = self.server.engine
        engine.on_change(self.on_change)
        engine.on_progress(self.on_progress)

    # -- engine listeners (called on the loop) -----------------------------------

    def on_change(self, task: Task) -> None:
        self.server.protocol.notify(TASK_CHANGED, self.server.engine.record(task))
        if task.state in (TaskState.QUEUED, TaskState.RUNNING):
            channel = self._channel(task)
            if channel is not None and task.state is TaskState.RUNNING:
                channel.put_nowait(_Report("Running", None))
            return
        channel = self.channels.pop(task.task_id, None)
        if channel is not None:
            channel.put_nowait(_End(_end_message(task)))
        if task.state is TaskState.DONE:
            self.server.spawn(self._completed(task), f"open-artifact-{task.task_id}")
        elif task.state is TaskState.FAILED and not self._client_notifies(task):
            self.server.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Error,
                    message=f"cowork: {task.title} failed: {task.error}",
                )
            )

    def on_progress(self, task: Task, message: str, percentage: int | None) -> None:
        channel = self.channels.get(task.task_id)
        if channel is not None:
            channel.put_nowait(_Report(message, percentage))

    # -- channel -----------------------------------------------------------------

    def _channel(self, task: Task) -> asyncio.Queue[_Report | _End] | None:
        if task.task_id in self.channels:
            return self.channels[task.task_id]
        if not self.server.supports("window.work_done_progress"):
            return None
        channel: asyncio.Queue[_Report | _End] = asyncio.Queue()
        self.channels[task.task_id] = channel
        self.server.spawn(self._consume(task, channel), f"progress-{task.task_id}")
        return channel

    async def _consume(self, task: Task, channel: asyncio.Queue[_Report | _End]) -> None:
        progress = self.server.work_done_progress
        token = f"cowork-task-{task.task_id}"
        try:
            await progress.create_async(token)
        except Exception as exc:
            log.warning("client refused progress token for %s: %s", task.task_id, exc)
            self.channels.pop(task.task_id, None)
            return
        loop = asyncio.get_running_loop()
        cancel_future = progress.tokens.get(token)
        if cancel_future is not None:

            def on_cancel(fut: object) -> None:
                if getattr(fut, "cancelled", lambda: False)():
                    loop.call_soon_threadsafe(self._cancel_from_client, task.task_id)

            cancel_future.add_done_callback(on_cancel)
        progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title=f"cowork: {task.title}",
                cancellable=True,
                message=task.state.value.capitalize(),
                percentage=0,
            ),
        )
        try:
            while True:
                item = await channel.get()
                if isinstance(item, _End):
                    progress.end(token, types.WorkDoneProgressEnd(message=item.message))
                    return
                progress.report(
                    token,
                    types.WorkDoneProgressReport(
                        message=item.message, percentage=item.percentage, cancellable=True
                    ),
                )
        except asyncio.CancelledError:
            progress.end(token, types.WorkDoneProgressEnd(message="Stopped"))
            raise
        finally:
            progress.tokens.pop(token, None)

    def _cancel_from_client(self, task_id: str) -> None:
        self.server.spawn(self.server.engine.cancel(task_id), f"cancel-{task_id}")

    # -- completion --------------------------------------------------------------

    def _client_notifies(self, task: Task) -> bool:
        """Whether the client tells the user about finished and failed tasks itself
        (initialization option `"notifications": "client"`): then the server does not."""
        return self._settings(task).notifications == "client"

    def _settings(self, task: Task) -> Settings:
        return self.server.settings_for(Path(task.request.workspace))

    async def _completed(self, task: Task) -> None:
        if not task.artifact_uri or not self._settings(task).open_artifact_on_completion:
            return
        if self.server.supports("window.show_document.support"):
            result = await self.server.window_show_document_async(
                types.ShowDocumentParams(uri=task.artifact_uri, take_focus=False)
            )
            if result.success:
                return
        if self._client_notifies(task):
            return
        path = uris.to_path(task.artifact_uri)
        self.server.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info, message=f"cowork: {task.title} is ready: {path}"
            )
        )


def _end_message(task: Task) -> str:
    if task.state is TaskState.DONE:
        return "Done"
    if task.state is TaskState.FAILED:
        return f"Failed: {task.error}"
    return task.state.value.capitalize()


def register(server: CoworkServer) -> None:
    bridge = TaskProgress(server)
    server.when_engine_starts(lambda engine: bridge.attach())
