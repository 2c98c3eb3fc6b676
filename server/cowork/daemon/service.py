"""The background server: runs the CLI's tasks in one warm process per workspace.

Started by `cowork.daemon.client.start` as
`python -m cowork.daemon.service SOCKET LOCK WORKSPACE READY_FD`. It holds LOCK while it
lives (a second one started meanwhile gives way), writes `R` on READY_FD once it
listens, and stops when no run came for a while, when its workspace or its socket is
gone, or when asked.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import gc
import json
import logging
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from cowork.daemon.address import idle_seconds
from cowork.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, InputError

if TYPE_CHECKING:
    from cowork.headless import Engines

log = logging.getLogger("cowork.daemon")
CHECK_EVERY_S = 2.0
# Arguments that name files, relative to the folder the CLI was started in.
_PATH_ARGS = ("path", "paths", "description", "notes", "output", "artifact", "workspace")


class Service:
    """Serves runs on a Unix socket until it is idle, orphaned or stopped."""

    def __init__(self, socket_path: Path, lock_path: Path, workspace: Path) -> None:
        self.socket_path = socket_path
        self.lock_path = lock_path
        self.workspace = workspace
        self.active = 0
        self.last_run = time.monotonic()
        self.stopping = asyncio.Event()
        self._inode = 0
        self._kept: Engines | None = None
        self._frozen = False

    def _engines(self) -> Engines:
        """The task engines kept from run to run (their threads, store, prefixes)."""
        if self._kept is None:
            from cowork.headless import Engines

            self._kept = Engines()
        return self._kept

    async def serve(self, ready_fd: int) -> None:
        """Listen, say so on `ready_fd`, and serve until it is time to stop."""
        from cowork import headless  # noqa: F401  (the engine, imported before anyone waits)
        from cowork.engine import engine  # noqa: F401

        staging = self.socket_path.with_name(f"{self.socket_path.stem}.{os.getpid()}.tmp")
        staging.unlink(missing_ok=True)
        server = await asyncio.start_unix_server(self._handle, path=str(staging))
        os.chmod(staging, 0o600)
        os.replace(staging, self.socket_path)
        self._inode = self.socket_path.stat().st_ino
        os.write(ready_fd, b"R")
        os.close(ready_fd)
        log.info("serving %s on %s", self.workspace, self.socket_path)
        watch = asyncio.create_task(self._watch())
        async with server:
            await self.stopping.wait()
        watch.cancel()
        if self._kept is not None:
            await self._kept.close()
        with contextlib.suppress(FileNotFoundError):
            if self.socket_path.stat().st_ino == self._inode:
                self.socket_path.unlink()

    async def _watch(self) -> None:
        limit = idle_seconds()
        while True:
            await asyncio.sleep(CHECK_EVERY_S)
            why = self._why_stop(limit)
            if why:
                log.info("stopping: %s", why)
                self.stopping.set()
                return

    def _why_stop(self, limit: float) -> str | None:
        if not self.workspace.is_dir():
            return f"{self.workspace} is gone"
        try:
            if self.socket_path.stat().st_ino != self._inode:
                return "another server took the socket"
        except FileNotFoundError:
            return "the socket was removed"
        if not self.active and time.monotonic() - self.last_run > limit:
            return f"no run for {limit / 60:g} minutes"
        return None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not _same_user(writer):
            log.warning("refused a connection from another user")
            writer.close()
            return
        self.active += 1
        with contextlib.suppress(OSError):  # its time says which server was used last
            os.utime(self.lock_path)
        try:
            line = await reader.readline()
            request = json.loads(line) if line else {}
            if not isinstance(request, dict):
                request = {}  # answered as a run without arguments: a usage error
            if request.get("stop") and request.get("idle_only") and self.active > 1:
                code = EXIT_FAILED  # making room: a server with a run going keeps it
            elif request.get("stop"):
                code = EXIT_OK
                self.stopping.set()
            else:
                code = await self._run(request, reader, writer)
            if not writer.is_closing():
                writer.write(json.dumps({"exit": code}).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, json.JSONDecodeError) as exc:
            log.info("a client went away: %s", exc)
        finally:
            self.active -= 1
            self.last_run = time.monotonic()
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        if not self._frozen and self._kept is not None and not self.active:
            self._freeze()

    def _freeze(self) -> None:
        """What the first run loaded (the workspace's index, the modules) stays for the
        server's life: moved out of the collector's sight, a full collection no longer
        walks it (it took ~50 ms, every few runs). Once, when no run is going."""
        self._frozen = True
        gc.collect()  # nothing cyclic and dead is frozen with it
        gc.freeze()

    async def _run(
        self, request: dict[str, Any], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> int:
        from cowork import headless

        loop = asyncio.get_running_loop()
        on_loop = threading.get_ident()

        left = asyncio.Event()  # the CLI is gone: what the run prints goes nowhere

        def send(key: str) -> Any:
            def write(text: str) -> None:
                data = json.dumps({key: text}).encode() + b"\n"
                if left.is_set():
                    return
                if threading.get_ident() == on_loop:
                    writer.write(data)
                else:  # progress from another thread: the loop writes it, in order
                    loop.call_soon_threadsafe(writer.write, data)

            return write

        console = headless.Console(out=send("out"), err=send("err"))
        try:
            args = _arguments(request)
        except _UsageError as exc:
            console.err(str(exc))  # argparse's own words, as the CLI would print them
            return EXIT_USAGE
        except InputError as exc:
            console.err(f"cowork: {exc}")
            return EXIT_USAGE
        began = time.perf_counter()
        run = asyncio.create_task(headless.run(args, console, engines=self._engines()))
        # The CLI says nothing more, but `cancel` on Ctrl-C; then it closes.
        gone = asyncio.create_task(reader.read())
        await asyncio.wait({run, gone}, return_when=asyncio.FIRST_COMPLETED)
        if not run.done():
            left.set()
            if b'"cancel"' in gone.result():
                log.info("the CLI was interrupted: cancelling its run")
                run.cancel()
            else:  # killed, or its terminal closed: nothing is lost, the task goes on
                log.info("the CLI went away: its run goes on here")
        gone.cancel()
        try:
            code = await run
        except asyncio.CancelledError:
            return EXIT_FAILED
        except InputError as exc:
            console.err(f"cowork: {exc}")
            code = EXIT_USAGE
        except Exception as exc:  # the server outlives a run that broke
            log.exception("run failed")
            console.err(f"cowork: internal error: {exc!r}")
            code = EXIT_FAILED
        log.info("%s: exit %d in %.0f ms", " ".join(request["argv"]), code, _ms(began))
        await asyncio.sleep(0)  # the lines queued by `send` go out before the exit code
        return code


_parsers: list[argparse.ArgumentParser] = []


class _UsageError(InputError):
    """Arguments argparse refused: its usage line and complaint, as it words them."""


class _Telling(argparse.ArgumentParser):
    """A parser whose complaint goes back to the CLI that sent the arguments (argparse
    would print it on the server's stderr and exit)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.format_usage().rstrip()}\n{self.prog}: error: {message}")


def _parser(
    build: Callable[[type[argparse.ArgumentParser]], argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """The CLI's parser, built once (tens of sub-commands and options: ~6 ms)."""
    if not _parsers:
        _parsers.append(build(_Telling))
    return _parsers[0]


def _same_user(writer: asyncio.StreamWriter) -> bool:
    """Whether the peer runs as this user (the socket's folder and mode already say
    so; the kernel's word where it gives it)."""
    sock = writer.get_extra_info("socket")
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return True
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return bool(uid == os.getuid())


def _ms(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def _arguments(request: dict[str, Any]) -> argparse.Namespace:
    """The run's arguments as the CLI parsed them, its paths made absolute."""
    from cowork.commandline import parser
    from cowork.context.workspace import find_workspace_root

    argv, where = request.get("argv"), request.get("cwd")
    if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv)):
        raise InputError("a run's request needs `argv`, a list of strings")
    if not isinstance(where, str) or not os.path.isabs(where):
        raise InputError("a run's request needs `cwd`, an absolute path")
    cwd = Path(where)
    try:
        args = _parser(parser).parse_args(request["argv"])
    except SystemExit:  # help: the CLI prints it itself (cowork.cli)
        raise InputError(f"cannot run {' '.join(request['argv'])!r} here") from None

    def absolute(value: Any) -> Any:
        if isinstance(value, Path):
            return value if value.is_absolute() else cwd / value
        if isinstance(value, list):
            return [absolute(v) for v in value]
        return value

    for name in _PATH_ARGS:
        if getattr(args, name, None) is not None:
            setattr(args, name, absolute(getattr(args, name)))
    if args.command == "run" and args.workspace is None:
        args.workspace = find_workspace_root(cwd)
    return args


def main(argv: list[str]) -> int:
    """Entry point of the server process."""
    socket_path, lock_path, workspace, ready = argv
    ready_fd = int(ready)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    lock = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.write(ready_fd, b"B")  # another server of this workspace is alive
        return 0
    asyncio.run(Service(Path(socket_path), Path(lock_path), Path(workspace)).serve(ready_fd))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
