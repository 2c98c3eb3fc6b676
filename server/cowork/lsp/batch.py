"""`batch: ask`: the engine asks the user, through `window/showMessageRequest`,
whether a task goes to the batch API. No answer, a dismissed question or a client
that fails the request all mean "run now"."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from cowork.engine.model import Task
from cowork.lsp.server import CoworkServer

if TYPE_CHECKING:
    from cowork.engine.engine import TaskEngine

log = logging.getLogger(__name__)

BATCH_ACTION = "Batch (half price)"
NOW_ACTION = "Run now"
# A question left unanswered this long is taken as "run now": the task goes on.
ASK_TIMEOUT_S = 120.0


def question(task: Task) -> str:
    return f"Send “{task.title}” as a batch: half price, usually done within the hour?"


def register(server: CoworkServer) -> None:
    async def ask(task: Task) -> bool:
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Info,
            message=question(task),
            actions=[
                types.MessageActionItem(title=BATCH_ACTION),
                types.MessageActionItem(title=NOW_ACTION),
            ],
        )
        try:
            answer = await asyncio.wait_for(
                server.window_show_message_request_async(params), ASK_TIMEOUT_S
            )
        except TimeoutError:
            log.info(
                "task %s: no answer about batch mode in %.0f s; running now",
                task.task_id,
                ASK_TIMEOUT_S,
            )
            return False
        except Exception as exc:  # a client that fails the request: run now
            log.info("task %s: asking about batch mode failed (%s); running now", task.task_id, exc)
            return False
        return answer is not None and answer.title == BATCH_ACTION

    def attach(engine: TaskEngine) -> None:
        engine.set_batch_question(ask)

    server.when_engine_starts(attach)
