"""The CLI's side: hand a run to the workspace's background server, starting it if needed.

The conversation is JSON, a message a line. The CLI sends `{"argv": [...], "cwd": ...}`
(then `{"cancel": true}` on Ctrl-C), or `{"stop": true}` (with `"idle_only"` when making
room: a server with a run going stays); the server answers `{"out": line}` and
`{"err": line}` as the run prints them, then `{"exit": code}`.
"""

from __future__ import annotations

import _socket
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from cowork.daemon.address import Address, idle_seconds
from cowork.errors import EXIT_FAILED

START_TIMEOUT_S = 60.0  # a cold server imports the engine first, on a loaded machine
MAX_LOG_BYTES = 1 << 20
MAX_SERVERS = 4  # background servers of one user at a time (workspaces × environments)


def _connect(where: Path) -> _socket.socket | None:
    # `_socket`, not `socket`: every run connects, and socket.py loads selectors,
    # enums and more (5 ms of the CLI's 20 ms on top of its start-up).
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(str(where))
    except OSError:
        sock.close()
        return None
    return sock


def _make_room(address: Address) -> None:
    """Clear what dead servers left, and stop the least recently used ones beyond
    `MAX_SERVERS` (each holds a workspace's index in memory)."""
    import fcntl

    alive: list[tuple[float, Path]] = []
    for lock in address.lock.parent.glob("*.lock"):
        if lock == address.lock:
            continue
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: that server is alive
            alive.append((os.fstat(fd).st_mtime, lock))
        else:
            for stale in (lock, lock.with_suffix(".sock"), lock.with_suffix(".log")):
                stale.unlink(missing_ok=True)
        finally:
            os.close(fd)
    alive.sort()
    for _, lock in alive[: max(0, len(alive) - MAX_SERVERS + 1)]:
        sock = _connect(lock.with_suffix(".sock"))
        if sock is not None:
            try:
                sock.sendall(b'{"stop": true, "idle_only": true}\n')
                sock.recv(64)
            finally:
                sock.close()


def start(address: Address) -> bool:
    """Start the server of `address` and wait until it listens (or another one, started
    meanwhile, holds its lock); False when it could not start."""
    import select
    import subprocess

    _make_room(address)

    ready_r, ready_w = os.pipe()
    try:
        # The log of this server's runs; a long one starts over (a line per run).
        keep = address.log.exists() and address.log.stat().st_size < MAX_LOG_BYTES
        with open(address.log, "ab" if keep else "wb") as log:
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cowork.daemon.service",
                    str(address.socket),
                    str(address.lock),
                    str(address.workspace),
                    str(ready_w),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=(ready_w,),
                start_new_session=True,  # not stopped by the terminal's Ctrl-C
                cwd="/",
            )
        os.close(ready_w)
        ready_w = -1
        readable, _, _ = select.select([ready_r], [], [], START_TIMEOUT_S)
        answer = os.read(ready_r, 1) if readable else b""
    except OSError:
        return False
    finally:
        os.close(ready_r)
        if ready_w >= 0:
            os.close(ready_w)
    return answer in (b"R", b"B")


def _lines(sock: _socket.socket) -> Iterator[bytes]:
    """The lines the server sends, until it closes the connection."""
    pending = b""
    while chunk := sock.recv(65536):
        pending += chunk
        *whole, pending = pending.split(b"\n")
        yield from whole
    if pending:
        yield pending


def _talk(sock: _socket.socket, request: dict[str, object], address: Address) -> int:
    sock.sendall(json.dumps(request).encode() + b"\n")
    for raw in _lines(sock):
        message = json.loads(raw)
        if "out" in message:
            print(message["out"], flush=True)
        elif "err" in message:
            print(message["err"], file=sys.stderr, flush=True)
        elif "exit" in message:
            return int(message["exit"])
    print(
        "cowork: the background server stopped before the run ended; its log: "
        f"{address.log} (COWORK_DAEMON=0 runs tasks in this process)",
        file=sys.stderr,
    )
    return EXIT_FAILED


def run(argv: list[str], address: Address, *, quiet: bool) -> int | None:
    """The exit code of `argv` run by the workspace's background server; None when no
    server could be reached or started (the caller then runs it itself)."""
    sock = _connect(address.socket)
    if sock is None:
        if not start(address):
            return None
        sock = _connect(address.socket)
        if sock is None:
            return None
        if not quiet:
            minutes = idle_seconds() / 60
            print(
                f"cowork: started a background server for {address.workspace}: the next "
                f"runs start warm (it stops after {minutes:g} idle minutes, or on "
                "`cowork stop`; COWORK_DAEMON=0 turns it off)",
                file=sys.stderr,
                flush=True,
            )
    try:
        return _talk(sock, {"argv": argv, "cwd": os.getcwd()}, address)
    except KeyboardInterrupt:
        # Ctrl-C cancels the task; a CLI killed otherwise leaves it to the server.
        with contextlib.suppress(OSError):
            sock.sendall(b'{"cancel": true}\n')
        return EXIT_FAILED
    finally:
        sock.close()


def stop(address: Address) -> bool:
    """Ask the server of `address` to stop; False when none was running."""
    sock = _connect(address.socket)
    if sock is None:
        return False
    try:
        _talk(sock, {"stop": True}, address)
    finally:
        sock.close()
    return True
