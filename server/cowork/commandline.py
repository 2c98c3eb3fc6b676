"""The command line of `cowork`: its commands and their arguments.

Parsed by the CLI, and again by a workspace's background server for the runs the
CLI hands it (`cowork.daemon.service`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cowork import __version__, config


def parser(cls: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The command line of `cowork` (its sub-commands' parsers are `cls` too)."""
    p = cls(prog="cowork", description="Asynchronous AI pair programming.")
    p.add_argument("--version", action="version", version=f"cowork {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the language server on stdio")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument(
        "--stdio",
        action="store_true",
        help="serve on stdin/stdout (the default; accepted because LSP clients pass it)",
    )
    serve.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])

    run = sub.add_parser("run", help="run one task headless and print the artifact's path")
    kinds = run.add_subparsers(dest="kind", required=True)

    def common(k: argparse.ArgumentParser) -> None:
        k.add_argument(
            "--workspace", type=Path, help="default: the git top level of the current folder"
        )
        k.add_argument("--provider", choices=config.PROVIDERS)
        k.add_argument("--model")
        k.add_argument(
            "--batch",
            action="store_true",
            help="send it through the Message Batches API (half price, usually within the "
            "hour) and wait for it here; anthropic provider only",
        )
        k.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
        k.add_argument(
            "--max-cost",
            type=float,
            metavar="USD",
            help="fail, with the figures, when the estimated cost is over this "
            "(cowork.maxCostUsdPerTask)",
        )

    k = kinds.add_parser("summarize", help="summarise one module")
    k.add_argument("path", type=Path)
    common(k)
    k = kinds.add_parser("review", help="first-pass review of this branch's changes")
    k.add_argument("--base")
    k.add_argument(
        "--uncommitted", action="store_true", help="include the work tree's uncommitted changes"
    )
    k.add_argument(
        "--since-last",
        action="store_true",
        help="review only the commits after the last finished review of this branch",
    )
    k.add_argument("--description", type=Path, metavar="FILE")
    k.add_argument("--format", choices=["markdown", "json", "sarif"], default="markdown")
    k.add_argument("--output", type=Path, metavar="FILE")
    common(k)
    k = kinds.add_parser("docs", help="draft docs for the change just finished")
    k.add_argument("--base")
    k.add_argument(
        "--uncommitted", action="store_true", help="include the work tree's uncommitted changes"
    )
    k.add_argument("--notes", type=Path, nargs="*", default=[], metavar="FILE")
    k.add_argument("--description", type=Path, metavar="FILE")
    common(k)
    k = kinds.add_parser("architecture", help="architecture brief for several folders or files")
    k.add_argument("paths", type=Path, nargs="+")
    k.add_argument("--focus")
    common(k)
    k = kinds.add_parser(
        "change", help="propose a code change as a tested patch in a worktree of its own"
    )
    k.add_argument("--goal", required=True)
    k.add_argument("--base", help="the commit to start from (default: HEAD)")
    k.add_argument("paths", type=Path, nargs="*")
    common(k)
    k = kinds.add_parser("research", help="weigh approaches for this codebase")
    k.add_argument("--question", required=True)
    k.add_argument("--option", action="append", default=[], dest="options")
    k.add_argument("paths", type=Path, nargs="*")
    common(k)

    revise = sub.add_parser(
        "revise",
        help="the next version of an artifact, steered by the feedback written into it "
        "(a '## Feedback' section, '> cowork:' notes)",
    )
    revise.add_argument("artifact", type=Path)
    revise.add_argument("--provider", choices=config.PROVIDERS)
    revise.add_argument("--model")
    revise.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")

    mark = sub.add_parser(
        "mark-reviewed", help="record that you reviewed an artifact (status: reviewed)"
    )
    mark.add_argument("artifact", type=Path)

    index = sub.add_parser(
        "index",
        help="bring the parse index on disk up to date (what a task reads first)",
    )
    index.add_argument("--workspace", type=Path)
    index.add_argument(
        "--commit-graph",
        action="store_true",
        help="also write git's commit-graph with changed-path filters, for fast file history",
    )

    stop = sub.add_parser(
        "stop", help="stop this workspace's background server (the one `cowork run` starts)"
    )
    stop.add_argument("--workspace", type=Path)

    tasks = sub.add_parser("tasks", help="the workspace's tasks, newest first")
    tasks.add_argument("--workspace", type=Path)
    tasks.add_argument("--json", action="store_true")
    return p
