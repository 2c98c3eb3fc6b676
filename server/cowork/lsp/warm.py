"""Warming up what the first editor requests would otherwise pay for on the event loop.

pygls converts every message with cattrs, which writes (and compiles) a converter
function for each message type the first time it meets one: 1–30 ms per type, so
the first code action, code lens, progress report or diagnostics of a fresh
server each took that much longer, and more while the workers start. A thread
builds them from the server's start on, while the client starts up.

The engine, the kinds and the context machinery are imported after `initialize`
is answered, on a thread too (`import_engine`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from lsprotocol import types
from pygls.protocol import JsonRPCProtocol

log = logging.getLogger(__name__)

# Requests and notifications from the client, hot from the first seconds on.
INBOUND = (
    types.INITIALIZE,
    types.INITIALIZED,
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.TEXT_DOCUMENT_CODE_LENS,
    types.TEXT_DOCUMENT_DID_OPEN,
    types.TEXT_DOCUMENT_DID_CHANGE,
    types.TEXT_DOCUMENT_DID_SAVE,
    types.TEXT_DOCUMENT_DID_CLOSE,
    types.WORKSPACE_EXECUTE_COMMAND,
    types.WORKSPACE_DID_CHANGE_CONFIGURATION,
    types.CANCEL_REQUEST,
    types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
)
# What the server sends while tasks run.
OUTBOUND = (
    types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
    types.PROGRESS,
    types.WINDOW_SHOW_MESSAGE,
    types.WINDOW_LOG_MESSAGE,
    types.WINDOW_WORK_DONE_PROGRESS_CREATE,
    types.WINDOW_SHOW_DOCUMENT,
    types.WORKSPACE_CONFIGURATION,
    types.WORKSPACE_APPLY_EDIT,
)
# Sent inside results typed as unions, so converted by their class when first met.
VALUES = (
    types.CodeAction,
    types.Command,
    types.CodeLens,
    types.Diagnostic,
    types.WorkspaceEdit,
    types.TextEdit,
    types.WorkDoneProgressBegin,
    types.WorkDoneProgressReport,
    types.WorkDoneProgressEnd,
)


def warm_converters(protocol: JsonRPCProtocol) -> None:
    """Build the converters of the hot message types (blocking: CPU for ~100 ms)."""
    converter: Any = protocol._converter
    for method in INBOUND:
        if (message := protocol.get_message_type(method)) is not None:
            converter.get_structure_hook(message)
        if (result := protocol.get_result_type(method)) is not None:
            converter.get_unstructure_hook(result)
    for method in OUTBOUND:
        if (message := protocol.get_message_type(method)) is not None:
            converter.get_unstructure_hook(message)
        if (result := protocol.get_result_type(method)) is not None:
            converter.get_structure_hook(result)
    for value in VALUES:
        converter.get_unstructure_hook(value)


def import_engine() -> None:
    """Import the engine and every task kind (blocking: a second of CPU on a cold start)."""
    import cowork.engine.engine  # noqa: F401
    from cowork import kinds

    kinds.get("summarize")  # the kinds load on first use


def start(protocol: JsonRPCProtocol) -> None:
    """Warm the converters on a background thread (a failure only costs the warm-up)."""

    def run() -> None:
        try:
            warm_converters(protocol)
        except Exception:
            log.exception("warming up the message converters failed")

    threading.Thread(target=run, daemon=True, name="cowork-warm-up").start()
