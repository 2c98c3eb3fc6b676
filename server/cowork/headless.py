"""One task run headless (`cowork run`, `cowork revise`): the engine, progress and the report.

The CLI runs it in its own process, or a workspace's background server runs it for the
CLI (`cowork.daemon`): output goes through a `Console`, so both print the same lines.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cowork import config
from cowork.errors import EXIT_FAILED, EXIT_OK, InputError

if TYPE_CHECKING:
    from cowork.config import Settings
    from cowork.engine.engine import TaskEngine
    from cowork.engine.model import Task
    from cowork.engine.prefix import PrefixLog
    from cowork.kinds.findings import Finding


def _stdout(line: str) -> None:
    print(line)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


@dataclass(frozen=True)
class Console:
    """Where a run's lines go: its result on `out`, progress and errors on `err`."""

    out: Callable[[str], None] = field(default=_stdout)
    err: Callable[[str], None] = field(default=_stderr)


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None


def _params(args: argparse.Namespace) -> dict[str, Any]:
    from cowork import uris

    def uri(p: Path) -> str:
        return uris.from_path(p.absolute())

    if args.kind == "summarize":
        return {"uri": uri(args.path)}
    if args.kind in ("review", "docs"):
        out: dict[str, Any] = {
            k: v for k, v in (("base", args.base), ("description", _read(args.description))) if v
        }
        if args.uncommitted:
            out["uncommitted"] = True
        if args.kind == "review" and args.since_last:
            out["since"] = "last"
        if args.kind == "docs" and args.notes:
            out["notes"] = [uri(n) for n in args.notes]
        return out
    if args.kind == "change":
        return {
            "goal": args.goal,
            "uris": [uri(p) for p in args.paths],
            **({"base": args.base} if args.base else {}),
        }
    if args.kind == "architecture":
        return {
            "uris": [uri(p) for p in args.paths],
            **({"focus": args.focus} if args.focus else {}),
        }
    return {
        "question": args.question,
        "options": args.options,
        "uris": [uri(p) for p in args.paths],
    }


async def run(
    args: argparse.Namespace,
    console: Console | None = None,
    *,
    engines: Engines | None = None,
) -> int:
    """Run the task `args` describe to its end and report it; the exit code.

    Without `engines` this process exits after the run (no watch, a frozen heap, and a
    task stopped by Ctrl-C is left for the language server to resume). A background
    server passes its `engines`, kept from run to run with their threads, task store
    and memory of the prompt prefixes sent lately; a run it stops is cancelled."""
    console = console or Console()
    from cowork import artifacts
    from cowork.context.workspace import find_workspace_root
    from cowork.engine import gatherer
    from cowork.engine.engine import TaskEngine
    from cowork.engine.model import TaskState

    if engines is None:
        gatherer.one_shot()
    revising = args.command == "revise"
    if revising:
        args.artifact = args.artifact.resolve()
        found_root = artifacts.artifact_root(args.artifact)
        if found_root is None:
            raise InputError(f"{args.artifact} is not an artifact (not in .cowork/artifacts/)")
        root = found_root
    else:
        root = (args.workspace or find_workspace_root(Path.cwd())).resolve()
    overrides = {k: v for k, v in (("provider", args.provider), ("model", args.model)) if v}
    if getattr(args, "batch", False):
        overrides["batch"] = "always"
    if getattr(args, "max_cost", None) is not None:
        overrides["maxCostUsdPerTask"] = args.max_cost
    settings, errors = config.load((overrides, "the command line"))
    for message in errors:
        console.err(f"cowork: {message}")
    engine = TaskEngine(settings) if engines is None else engines.get(settings)
    mine: set[str] = set()  # a kept engine runs other CLIs' tasks too

    def progress(task: Task, message: str, _percentage: int | None) -> None:
        if task.task_id in mine and not args.quiet:
            console.err(f"cowork: {message}")

    notice = _BatchNotice(console, mine)
    engine.on_progress(progress)
    engine.on_change(notice)
    found: list[Finding] = []
    try:
        if revising:
            request = await engine.prepare_revision(args.artifact)
        else:
            request = engine.prepare(args.kind, root, _params(args))
        record = await engine.submit(request)
        mine.add(record.task_id)
        task = await engine.wait(record.task_id)
        exported = getattr(args, "format", "markdown") != "markdown"  # SARIF or JSON
        if exported and task.kind == "review" and task.state is TaskState.DONE:
            found = [s.finding for s in await engine.findings(root) if s.task_id == task.task_id]
    except asyncio.CancelledError:
        if engines is not None:
            for task_id in mine:  # a task waiting on its batch is left to collect it
                if not engine.get(task_id).batch_id:
                    await asyncio.shield(engine.cancel(task_id))
        raise
    finally:
        if engines is None:
            await engine.close()
        else:
            engine.remove_listener(progress)
            engine.remove_listener(notice)
    return _report(task, args, root, found, console)


class Engines:
    """The task engines a background server keeps between runs, one per settings
    (the command line's flags make the difference)."""

    def __init__(self) -> None:
        self._by_settings: dict[str, TaskEngine] = {}
        self._prefixes: PrefixLog | None = None

    def get(self, settings: Settings) -> TaskEngine:
        """The engine for runs with `settings` (made on first use)."""
        from cowork.engine.engine import TaskEngine
        from cowork.engine.prefix import PrefixLog

        if self._prefixes is None:
            self._prefixes = PrefixLog()  # shared: tasks of all settings share a cache
        key = repr(settings)
        if key not in self._by_settings:
            self._by_settings[key] = TaskEngine(settings, prefixes=self._prefixes)
        return self._by_settings[key]

    async def close(self) -> None:
        """Stop them all (tasks still running are left to be resumed, as a server's)."""
        engines, self._by_settings = list(self._by_settings.values()), {}
        for engine in engines:
            await engine.close()


class _BatchNotice:
    """Say once, even with --quiet, that the command now waits on a batch."""

    def __init__(self, console: Console, mine: set[str]) -> None:
        self._console = console
        self._mine = mine
        self._told: set[str] = set()

    def __call__(self, task: Task) -> None:
        from cowork.engine.model import TaskState

        waiting = task.batch_id and task.state is TaskState.RUNNING
        if waiting and task.task_id in self._mine and task.task_id not in self._told:
            self._told.add(task.task_id)
            self._console.err(
                f"cowork: sent as batch {task.batch_id} (half price); waiting for it here, "
                "usually within the hour (at most 24 h). Ctrl-C stops waiting, not the batch: "
                "the language server collects it when it next starts in this workspace."
            )


def _report(
    task: Task, args: argparse.Namespace, root: Path, found: list[Finding], console: Console
) -> int:
    import json

    from cowork import artifacts, uris
    from cowork.engine.model import TaskState
    from cowork.export import sarif

    if task.state is not TaskState.DONE or not task.artifact_uri:
        console.err(f"cowork: {task.title} {task.state.value}: {task.error}")
        return EXIT_FAILED
    path = uris.to_path(task.artifact_uri)
    fmt = getattr(args, "format", "markdown")
    output: Path | None = getattr(args, "output", None)
    if fmt == "markdown":
        if output is None:  # the artifact is the answer: nothing to copy
            console.out(str(path))
            return EXIT_OK
        text = path.read_text(encoding="utf-8")
    else:
        data = (
            sarif.to_sarif(found, root, path)
            if fmt == "sarif"
            else sarif.to_json(found, task.task_id, path)
        )
        text = json.dumps(data, indent=2) + "\n"
        output = output or path.with_suffix(f".{fmt}")
    if output is not None:
        artifacts.write_atomic(output, text)
        path = output
    console.out(str(path))
    return EXIT_OK
