"""`maxCostUsdPerTask`: the engine asks, through `window/showMessageRequest`, whether a
task estimated over the cap runs anyway. No answer in time or a dismissed question
mean "cancel"; a client that cannot show the question makes the task fail with the
figures (the engine's rule)."""

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

RUN_ANYWAY = "Run anyway"
CANCEL = "Cancel"
ASK_TIMEOUT_S = 300.0


def register(server: CoworkServer) -> None:
    async def ask(task: Task, message: str) -> bool | None:
        if server.client_capabilities.window is None:
            return None  # no window features at all: nobody to ask
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=f"cowork: {message} Run it anyway?",
            actions=[types.MessageActionItem(title=RUN_ANYWAY), types.MessageActionItem(CANCEL)],
        )
        try:
            answer = await asyncio.wait_for(
                server.window_show_message_request_async(params), ASK_TIMEOUT_S
            )
        except TimeoutError:
            log.info("task %s: no answer about its cost; not run", task.task_id)
            return False
        except Exception as exc:  # the client failed the request: it cannot ask
            log.info("task %s: asking about its cost failed (%s)", task.task_id, exc)
            return None
        return answer is not None and answer.title == RUN_ANYWAY

    def attach(engine: TaskEngine) -> None:
        engine.set_cost_question(ask)

    server.when_engine_starts(attach)
