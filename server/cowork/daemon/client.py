"""The CLI's side: hand a run to the workspace's background server, starting it if needed
(the conversation: `cowork.daemon.wire`)."""

from __future__ import annotations

import _socket
import os
import sys

from cowork.daemon import wire
from cowork.daemon.address import Address, idle_seconds
from cowork.errors import EXIT_FAILED

START_TIMEOUT_S = 60.0  # a cold server imports the engine first, on a loaded machine
MAX_LOG_BYTES = 1 << 20
MAX_SERVERS = 4  # background servers of one user at a time (workspaces × environments)


def _make_room(address: Address) -> None:
    """Clear what dead servers left, and stop the least recently used ones beyond
    `MAX_SERVERS` (each holds a workspace's index in memory)."""
    import contextlib
    import fcntl

    alive: list[tuple[float, str]] = []
    with os.scandir(address.folder) as entries:
        locks = [e.path for e in entries if e.name.endswith(".lock")]
    for lock in locks:
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
            for stale in (lock, f"{lock[:-5]}.sock", f"{lock[:-5]}.log"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(stale)
        finally:
            os.close(fd)
    alive.sort()
    for _, lock in alive[: max(0, len(alive) - MAX_SERVERS + 1)]:
        sock = wire.connect(f"{lock[:-5]}.sock")
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
        keep = os.path.exists(address.log) and os.path.getsize(address.log) < MAX_LOG_BYTES
        with open(address.log, "ab" if keep else "wb") as log:
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cowork.daemon.service",
                    address.socket,
                    address.lock,
                    address.workspace,
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


def _said(code: int | None, address: Address) -> int:
    if code is not None:
        return code
    print(
        "cowork: the background server stopped before the run ended; its log: "
        f"{address.log} (COWORK_DAEMON=0 runs tasks in this process)",
        file=sys.stderr,
    )
    return EXIT_FAILED


def run(argv: list[str], address: Address, *, quiet: bool) -> int | None:
    """The exit code of `argv` run by the workspace's background server; None when no
    server could be reached or started (the caller then runs it itself)."""
    sock = wire.connect(address.socket)
    if sock is None:
        if not start(address):
            return None
        sock = wire.connect(address.socket)
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
    return converse(sock, argv, address)


def converse(sock: _socket.socket, argv: list[str], address: Address) -> int:
    """Hand `argv` to the server at the other end of `sock`; the run's exit code."""
    try:
        return _said(wire.talk(sock, wire.request(argv, os.getcwd())), address)
    except KeyboardInterrupt:
        # Ctrl-C cancels the task; a CLI killed otherwise leaves it to the server.
        try:  # noqa: SIM105 (contextlib would cost every run ~5 ms of imports)
            sock.sendall(b'{"cancel": true}\n')
        except OSError:
            pass
        return EXIT_FAILED
    finally:
        sock.close()


def stop(address: Address) -> bool:
    """Ask the server of `address` to stop; False when none was running."""
    sock = wire.connect(address.socket)
    if sock is None:
        return False
    try:
        _said(wire.talk(sock, b'{"stop": true}\n'), address)
    finally:
        sock.close()
    return True
