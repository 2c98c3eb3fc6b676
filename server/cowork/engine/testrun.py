"""Running the workspace's own test command in a change's worktree.

The command comes only from the user's settings (`testCommand`), never from a
model. It runs in a shell of its own process group, so a timeout or a cancel
kills everything it started; its output goes to a log beside the artifact and
its tail into the artifact.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

TAIL_LINES = 60
KEEP_BYTES = 4 << 20  # of output held in memory; the log has it all


@dataclass(frozen=True)
class Outcome:
    status: str  # passed | failed | not run | timed out
    detail: str  # one line: the exit code, the shell's message, the timeout
    tail: str  # the last lines of the output
    log: Path | None


async def run(
    command: str, cwd: Path, timeout_s: float, log: Path, pidfile: Path | None = None
) -> Outcome:
    """Run `command` in `cwd` through the shell; kill its whole process group on
    timeout or cancel. A command the shell cannot find (exit 127) is *not run*.
    `pidfile` holds the group's id while it runs, so that a server killed meanwhile
    can have the next one end it (`kill_leftover`)."""
    if pidfile is not None:
        pidfile.parent.mkdir(parents=True, exist_ok=True)
    # The shell writes its own pid before it runs the command, so a server killed at
    # any moment after the start leaves the next one a pid file to end the group by.
    script = 'echo $$ > "$1" && exec /bin/sh -c "$2"' if pidfile is not None else command
    extra = ["cowork-tests", str(pidfile), command] if pidfile is not None else []
    starting = asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            script,
            *extra,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
        )
    )
    try:
        proc = await asyncio.shield(starting)
    except asyncio.CancelledError:
        # Cancelled while asyncio was still connecting the pipes: the tests may be
        # running already (asyncio would kill the shell alone, and the test runner it
        # started would outlive the task). The whole group goes, as below.
        with contextlib.suppress(Exception):
            started = await starting
            _kill(started.pid)
            await started.wait()
            await _until_gone(started.pid)
        raise
    chunks: list[bytes] = []
    held = 0

    async def drain() -> None:
        nonlocal held
        assert proc.stdout is not None
        while data := await proc.stdout.read(65536):
            chunks.append(data)
            held += len(data)
            while held > KEEP_BYTES and len(chunks) > 1:
                held -= len(chunks.pop(0))

    reader = asyncio.ensure_future(drain())
    timed_out = False
    try:
        try:
            await asyncio.wait_for(asyncio.shield(proc.wait()), timeout_s)
        except TimeoutError:
            timed_out = True
            _kill(proc.pid)
            await proc.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader, 5)  # a grandchild holding the pipe is killed too
    except asyncio.CancelledError:
        _kill(proc.pid)
        reader.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), 5)
        raise
    finally:
        _kill(proc.pid)  # whatever it left behind in its group
        await _until_gone(proc.pid)
        if pidfile is not None:
            with contextlib.suppress(FileNotFoundError):
                pidfile.unlink()
    output = b"".join(chunks).decode("utf-8", "replace")
    await asyncio.to_thread(_write_log, log, command, output)
    tail = "\n".join(output.rstrip().splitlines()[-TAIL_LINES:])
    code = proc.returncode
    if timed_out:
        return Outcome("timed out", f"killed after {timeout_s:g} s (testTimeoutSeconds)", tail, log)
    if code == 127:
        said = output.strip().splitlines()[-1] if output.strip() else "command not found"
        return Outcome("not run", f"the shell could not run it: {said}", tail, log)
    if code == 0:
        return Outcome("passed", "exit code 0", tail, log)
    return Outcome("failed", f"exit code {code}", tail, log)


def kill_leftover(pidfile: Path, cwd: Path) -> bool:
    """End the process group a killed server's test run left (named in `pidfile`), if
    it still runs in `cwd` (a recycled pid elsewhere is left alone). The group's
    leader (the shell) may be gone while the test runner it started lives on: any
    member tells where the group runs. Blocking."""
    try:
        pgid = int(pidfile.read_text())
    except (OSError, ValueError):
        return False
    with contextlib.suppress(FileNotFoundError):
        pidfile.unlink()
    for member in (pgid, *_members(pgid)):
        try:
            where = Path(os.readlink(f"/proc/{member}/cwd"))
        except OSError:
            continue
        if where != cwd and cwd not in where.parents:
            return False
        _kill(pgid)
        return True
    return False


def _members(pgid: int) -> list[int]:
    """The processes of group `pgid` (from /proc; empty where there is none)."""
    out: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return out
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            out.append(int(name))
    return out


async def _until_gone(pgid: int, limit_s: float = 2.0) -> None:
    """Wait (at most `limit_s`) until no process of group `pgid` is left. SIGKILL is
    delivered when the process next runs: on a busy machine a grandchild (the test
    runner the shell started) outlived the shell we waited for, and a task reported
    cancelled still had its tests running."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        await asyncio.sleep(0.01)


def _kill(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _write_log(log: Path, command: str, output: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"$ {command}\n{output}", encoding="utf-8")
