"""workspace/executeCommand: the task commands, listTasks, cancelTask, dismissFinding.

Each command takes one JSON object with camelCase keys. Handlers take the
raw `*args` so that every malformed call gets a message naming the command,
the key and what is expected, instead of a converter's traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from cowork import uris
from cowork.errors import InputError
from cowork.lsp.server import CoworkServer
from cowork.lsp.settings import settled

log = logging.getLogger(__name__)

# command -> (task kind, keys it accepts)
TASK_COMMANDS: dict[str, tuple[str, frozenset[str]]] = {
    "cowork.summarizeModule": ("summarize", frozenset({"uri"})),
    "cowork.architectureBrief": ("architecture", frozenset({"uris", "focus"})),
    "cowork.reviewChanges": (
        "review",
        frozenset({"base", "description", "since", "uncommitted", "uri"}),
    ),
    "cowork.draftDocs": (
        "docs",
        frozenset({"base", "description", "notes", "uncommitted", "uri"}),
    ),
    "cowork.research": ("research", frozenset({"question", "options", "uris", "uri"})),
    "cowork.proposeChange": ("change", frozenset({"goal", "uris", "base"})),
}


def one_object(command: str, args: tuple[Any, ...], *, optional: bool = False) -> dict[str, Any]:
    """The single JSON object argument of `command`; InputError otherwise."""
    if not args:
        if optional:
            return {}
        raise InputError(f"{command} needs one JSON object argument")
    if len(args) != 1 or not isinstance(args[0], dict):
        shown = ", ".join(type(a).__name__ for a in args)
        raise InputError(f"{command} takes one JSON object argument, got: {shown}")
    return dict(args[0])


def an_id(command: str, args: tuple[Any, ...], key: str) -> str:
    """The one non-empty string `key` of `command`'s object argument; InputError otherwise."""
    value = one_object(command, args).get(key)
    if not isinstance(value, str) or not value:
        raise InputError(f'{command} needs {{"{key}": "…"}}')
    return value


def a_uri(command: str, args: tuple[Any, ...], example: str) -> str:
    """The `uri` of `command`'s object argument (its only key); InputError otherwise,
    showing `example` (what kind of file it names)."""
    arg = one_object(command, args)
    check_keys(command, arg, frozenset({"uri"}))
    uri = arg.get("uri")
    if not isinstance(uri, str) or not uri:
        raise InputError(f'{command} needs {{"uri": "{example}"}}')
    return uri


def check_keys(command: str, arg: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(arg) - allowed)
    if unknown:
        raise InputError(
            f"{command}: unknown key(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(sorted(allowed)) or 'none'}"
        )


def root_of(ls: CoworkServer, kind: str, arg: dict[str, Any]) -> Path:
    """Which workspace folder a task belongs to, from the paths it names."""
    if isinstance(arg.get("uri"), str) and kind == "summarize":
        return ls.root_for(uris.to_path(arg["uri"]))
    named = arg.get("uris")
    if isinstance(named, list) and named and isinstance(named[0], str):
        return ls.root_for(uris.to_path(named[0]))
    return ls.default_root(arg.get("uri") if isinstance(arg.get("uri"), str) else None)


class InvalidRequest(JsonRpcInvalidParams):
    """An InputError on its way to the client: the request was wrong, not the server."""


class _NoTracebackForInvalidRequests(logging.Filter):
    """pygls logs every error answer with a traceback, at ERROR. For a request that
    was simply wrong the traceback says nothing and alarms whoever reads the
    log: keep one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, InvalidRequest):
            log.info("answered with invalid params: %s", error.message)
            return False
        return True


def clear_errors(
    fn: Callable[..., Awaitable[Any]],
) -> Callable[..., Awaitable[Any]]:
    """Answer an InputError as a JSON-RPC "invalid params" error with its message."""

    async def wrapper(ls: CoworkServer, *args: Any) -> Any:
        try:
            return await fn(ls, *args)
        except InputError as exc:
            raise InvalidRequest(str(exc)) from None

    wrapper.__name__ = fn.__name__
    return wrapper


async def submit_task(ls: CoworkServer, command: str, args: tuple[Any, ...]) -> dict[str, str]:
    kind, allowed = TASK_COMMANDS[command]
    arg = one_object(command, args)
    check_keys(command, arg, allowed)
    root = root_of(ls, kind, arg)
    params = {k: v for k, v in arg.items() if not (k == "uri" and kind != "summarize")}
    request = ls.engine.prepare(kind, root, params, args=arg)
    await settled(ls)  # a settings change sent before this command applies to it
    task = await ls.engine.submit(request, ls.overlays(root))
    return {"taskId": task.task_id}


def register(server: CoworkServer) -> None:
    pygls_log = logging.getLogger("pygls.protocol.json_rpc")
    if not any(isinstance(f, _NoTracebackForInvalidRequests) for f in pygls_log.filters):
        pygls_log.addFilter(_NoTracebackForInvalidRequests())

    for name in TASK_COMMANDS:

        def make(command: str) -> Callable[..., Awaitable[Any]]:
            async def run_task(ls: CoworkServer, *args: Any) -> dict[str, str]:
                return await submit_task(ls, command, args)

            return clear_errors(run_task)

        server.command(name)(make(name))

    @server.command("cowork.listTasks")
    @clear_errors
    async def list_tasks(ls: CoworkServer, *args: Any) -> list[dict[str, Any]]:
        one_object("cowork.listTasks", args, optional=True)
        await ls.engine.loaded()
        return await ls.engine.records()

    @server.command("cowork.cancelTask")
    @clear_errors
    async def cancel_task(ls: CoworkServer, *args: Any) -> dict[str, Any]:
        arg = one_object("cowork.cancelTask", args)
        check_keys("cowork.cancelTask", arg, frozenset({"taskId"}))
        task_id = arg.get("taskId")
        if not isinstance(task_id, str) or not task_id:
            raise InputError('cowork.cancelTask needs {"taskId": "…"}')
        await ls.engine.loaded()
        task = await ls.engine.cancel(task_id)
        return task.to_record()

    @server.command("cowork.dismissFinding")
    @clear_errors
    async def dismiss_finding(ls: CoworkServer, *args: Any) -> dict[str, Any]:
        finding_id = an_id("cowork.dismissFinding", args, "findingId")
        stored = await ls.engine.dismiss_finding(finding_id)
        return {"findingId": finding_id, "dismissed": stored.dismissed}

    @server.command("cowork.openFinding")
    @clear_errors
    async def open_finding(ls: CoworkServer, *args: Any) -> dict[str, Any]:
        return await ls.findings.open(an_id("cowork.openFinding", args, "findingId"))
