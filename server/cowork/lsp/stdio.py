"""Serving LSP on stdin/stdout with an asyncio pipe reader.

pygls's own stdio reader hops to a thread pool three times per message
(header, blank line, body). Each hop needs the GIL back, and while tasks keep
other threads busy that costs up to a switch interval every time; reading
the pipe on the event loop itself avoids the hops. The message loop and the
protocol are pygls's (`run_async`); only the reader differs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from typing import BinaryIO

from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)

_MAX_MESSAGE = 256 * 1024 * 1024


class _PipeReader:
    """pygls's reader interface over an asyncio StreamReader (EOF reads as b"")."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self._stream = stream

    async def readline(self) -> bytes:
        return await self._stream.readline()

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self._stream.readexactly(n)
        except asyncio.IncompleteReadError:
            return b""


async def _serve(server: LanguageServer, stdin: BinaryIO, stop: threading.Event) -> None:
    loop = asyncio.get_running_loop()
    stream = asyncio.StreamReader(limit=_MAX_MESSAGE)
    reader: _PipeReader | StdinAsyncReader
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), stdin)
        reader = _PipeReader(stream)
    except (ValueError, OSError):
        # A regular file cannot be watched by the event loop: read it pygls's way.
        reader = StdinAsyncReader(stdin, server.thread_pool)
    await run_async(
        stop_event=stop,
        reader=reader,
        protocol=server.protocol,
        logger=log,
        error_handler=server.report_server_error,
    )


def _take_stdio() -> tuple[BinaryIO, BinaryIO]:
    """Move the client's pipes off file descriptors 0 and 1.

    Child processes (the gathering workers, git) inherit descriptors 0-2. Had
    they inherited the client's pipes, a stray print in one would corrupt the
    protocol, and the client would not see end-of-file when the server dies
    while one still runs. Duplicates are not inherited (PEP 446); 0 and 1 become
    /dev/null, and Python-level prints go to the log on stderr.
    """
    sys.stdout.flush()
    client_in, client_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    sys.stdout = sys.stderr
    return open(client_in, "rb"), open(client_out, "wb")  # live as long as the process


def start_stdio(server: LanguageServer) -> None:
    """Run `server` on this process's stdin and stdout until the client exits."""
    stop = threading.Event()
    server._stop_event = stop
    client_in, client_out = _take_stdio()
    server.protocol.set_writer(StdoutWriter(client_out))
    try:
        asyncio.run(_serve(server, client_in, stop))
    except BrokenPipeError:
        log.error("the connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]  # pygls leaves it untyped
