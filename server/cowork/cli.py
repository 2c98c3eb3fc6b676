"""The `cowork` command. A `cowork run` whose workspace has a background server
running goes straight to it: this process then loads next to nothing beyond Python
(a warm run should cost little more than `cowork --version`). Everything else, and a
run no server is up for yet, is parsed and carried out by `cowork.commands`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run `cowork ARGV`; the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:
        handed = _straight(argv)
        if handed is not None:
            return handed
    from cowork import commands

    return commands.main(argv)


def _straight(argv: list[str]) -> int | None:
    """The exit code of `cowork run …` answered by the background server already
    running for its workspace; None when there is none, or the arguments are better
    read here (help, abbreviations): `cowork.commands` then does it all."""
    from cowork.daemon import address

    if not address.enabled():
        return None
    workspace = _workspace(argv[1:])
    if workspace is None:
        return None
    try:
        where = address.locate(workspace)
    except OSError:
        return None  # `cowork.commands` says why
    from cowork.daemon import client, wire

    sock = wire.connect(where.socket)
    if sock is None:
        return None  # not started yet: `cowork.commands` starts it
    # The server reads the arguments (and says what is wrong with them).
    return client.converse(sock, argv, where)


def _workspace(args: list[str]) -> str | None:
    """The workspace `cowork run ARGS` names the way `cowork.commands` finds it
    (`--workspace`, else the git top level above the current folder); None for
    arguments argparse should read here."""
    given: str | None = None
    for i, arg in enumerate(args):
        if (
            arg == "--"
            or arg.startswith("--h")
            or (arg[:1] == "-" and arg[1:2] != "-" and "h" in arg)
        ):
            return None  # help, or whatever follows `--`
        if arg == "--workspace":
            if i + 1 >= len(args):
                return None
            given = args[i + 1]
        elif arg.startswith("--workspace="):
            given = arg.partition("=")[2]
        elif arg.startswith("--w"):
            return None  # an abbreviation
    if given == "":
        return None
    from cowork.daemon import address

    return address.workspace_for(given)
