"""`cowork serve | run | tasks | …`: each command, driving the same engine as the server
(`cowork.cli` sends a run straight to a workspace's background server first)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cowork import commandline, config
from cowork.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, InputError

# Each command imports what it needs when it runs: `cowork --version` and `cowork
# tasks` do not pay for the engine, git or the parsers (a CLI run starts a process).
if TYPE_CHECKING:
    from cowork.engine.model import Task
    from cowork.providers.usage import Usage


async def _mark_reviewed(args: argparse.Namespace) -> int:
    from cowork.engine.engine import TaskEngine

    engine = TaskEngine(config.Settings())
    try:
        task = await engine.mark_reviewed(args.artifact.resolve())
    finally:
        await engine.close()
    print(f"cowork: {task.title}: marked reviewed by {(task.reviewed or {}).get('by')}")
    return EXIT_OK


def _state(t: Task) -> str:
    """The state column: a finished draft nobody reviewed yet says so."""
    if t.state.value == "done":
        return "reviewed" if t.reviewed else "draft"
    return t.state.value


def _patch_state(root: Path, task_id: str) -> str:
    """Whether a change's patch waits to be applied, and where."""
    from cowork.engine import change_flow

    try:
        pending = change_flow.pending(root, task_id)
    except InputError:
        return "patch: applied, discarded or removed"
    return (
        f"patch pending on branch {pending.branch} ({len(pending.edits)} edits): apply it "
        f"from the artifact, or `git merge {pending.branch}`"
    )


def _tasks(args: argparse.Namespace) -> int:
    import json

    from cowork import uris
    from cowork.context.workspace import find_workspace_root
    from cowork.engine import sources
    from cowork.engine.model import TaskState
    from cowork.engine.store import Store, state_db

    root = (args.workspace or find_workspace_root(Path.cwd())).resolve()
    if not state_db(root).exists():
        print(f"cowork: no tasks yet in {root}", file=sys.stderr)
        return EXIT_OK
    # From the task database alone: no artifact is read (staleness has its own table).
    store = Store(state_db(root))
    try:
        tasks = store.tasks()
        if args.json:
            print(json.dumps([t.to_record() for t in tasks], indent=2))
            return EXIT_OK
        for t in tasks:
            cost = f"${t.usage.cost_usd:.4f}" if t.usage.cost_usd else "-"
            where = uris.to_path(t.artifact_uri) if t.artifact_uri else (t.error or "")
            print(
                f"{t.task_id}  {t.created_at}  {_state(t):<11} {t.kind:<12} "
                f"{_tokens(t.usage):>26} {cost:>9}  {t.title}  {where}"
            )
            if t.state is TaskState.DONE and isinstance(where, Path) and where.is_file():
                stale = sources.stale(store, root, t.task_id, where)
                if stale:
                    print(f"    {stale}")
            if t.kind == "change" and t.state is TaskState.DONE:
                print(f"    {_patch_state(root, t.task_id)}")
    finally:
        store.close()
    return EXIT_OK


def _index(args: argparse.Namespace) -> int:
    from cowork.context import git as gitfacts
    from cowork.context.workspace import find_workspace_root
    from cowork.engine.gatherer import build_index

    root = (args.workspace or find_workspace_root(Path.cwd())).resolve()
    if args.commit_graph:
        try:
            where = gitfacts.write_commit_graph(root)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        except git_errors() as exc:
            print(f"cowork: git commit-graph write failed: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"cowork: wrote the commit-graph with changed paths in {where}", file=sys.stderr)
    report = build_index(root)
    where = str(report.location) if report.location else "off (COWORK_INDEX=0, or unusable)"
    print(
        f"cowork: {report.files:,} files indexed: {report.parsed:,} parsed, "
        f"{report.stored:,} from the index on disk ({where})"
    )
    return EXIT_OK


def git_errors() -> type[Exception]:
    import git

    return git.GitCommandError


def _tokens(usage: Usage) -> str:
    """'12.3k in (9.0k cached) 1.2k out', or '-' when no model was used."""
    if not (usage.input_tokens or usage.output_tokens):
        return "-"

    def k(n: int) -> str:
        return f"{n / 1000:.1f}k" if n >= 1000 else str(n)

    whole = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    cached = f" ({k(usage.cache_read_tokens)} cached)" if usage.cache_read_tokens else ""
    return f"{k(whole)} in{cached} {k(usage.output_tokens)} out"


def _serve(args: argparse.Namespace) -> int:
    import logging

    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.log_level != "DEBUG":
        # pygls logs every message it sends at INFO: noise in an editor's log view.
        logging.getLogger("pygls").setLevel(logging.WARNING)
    from cowork.lsp.app import create_server

    # The event loop answers the editor while threads of this process write artifacts
    # (the prompt, provenance, the task store): CPU work that holds the GIL. A thread
    # that wants it waits up to a switch interval per hand-over, and an answer takes
    # several: at 1 ms (not 5) a code action's p99 with three tasks finishing all the
    # time was 8-11 ms instead of 11-16 (bench/latency.py), at no cost in tasks.
    sys.setswitchinterval(0.001)

    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not port.isdigit():
            raise InputError(f"--tcp expects HOST:PORT, got {args.tcp!r}")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        from cowork.lsp.stdio import start_stdio

        start_stdio(server)
    return EXIT_OK


def main(argv: list[str]) -> int:
    """Run `cowork ARGV`; the exit code."""
    args = commandline.parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command in ("run", "revise"):
            handed = _hand_off(args, argv)
            if handed is not None:
                return handed
        if args.command in ("run", "revise", "mark-reviewed"):
            import asyncio

            from cowork import headless

            return asyncio.run(
                _mark_reviewed(args) if args.command == "mark-reviewed" else headless.run(args)
            )
        if args.command == "index":
            return _index(args)
        if args.command == "stop":
            return _stop(args)
        return _tasks(args)
    except InputError as exc:
        print(f"cowork: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED


def _hand_off(args: argparse.Namespace, argv: list[str]) -> int | None:
    """The run's exit code from the workspace's background server; None: run it here."""
    from cowork.daemon import address, client

    if not address.enabled():
        return None
    if args.command == "revise":
        workspace = address.workspace_of(os.path.dirname(os.path.abspath(args.artifact)))
    else:
        workspace = address.workspace_for(args.workspace)
    try:
        where = address.locate(workspace)
    except OSError as exc:
        print(f"cowork: running here, not in a background server: {exc}", file=sys.stderr)
        return None
    return client.run(argv, where, quiet=args.quiet)


def _stop(args: argparse.Namespace) -> int:
    from cowork.daemon import address, client

    workspace = address.workspace_for(args.workspace)
    if not address.enabled():
        print(
            "cowork: background servers are off (COWORK_DAEMON=0, or no Unix sockets)",
            file=sys.stderr,
        )
        return EXIT_OK
    if client.stop(address.locate(workspace)):
        print(f"cowork: stopped the background server of {workspace}", file=sys.stderr)
    else:
        print(f"cowork: no background server is running for {workspace}", file=sys.stderr)
    return EXIT_OK
