"""The conversation between the CLI and a background server, a JSON message a line.

The CLI sends `{"argv": [...], "cwd": ...}` (then `{"cancel": true}` on Ctrl-C), or
`{"stop": true}` (with `"idle_only"` when making room: a server with a run going
stays); the server answers `{"out": line}` and `{"err": line}` as the run prints
them, then `{"exit": code}`.

Every `cowork run` speaks it, so the CLI's side loads no `json` (with `re` and `enum`
it is ~15 ms of a process that should cost little more than Python's start-up): the
C encoder and string scanner `json` itself uses, and `json` for anything unexpected.
"""

from __future__ import annotations

import _json
import _socket
import sys
from _collections_abc import Iterator

# The server's lines, as `json.dumps` writes them (ASCII; default separators).
_OUT, _ERR, _EXIT = '{"out": "', '{"err": "', '{"exit": '


def connect(where: str) -> _socket.socket | None:
    """A connection to the server listening at `where`; None when none listens."""
    # `_socket`, not `socket`: socket.py loads selectors, enums and more.
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(where)
    except OSError:
        sock.close()
        return None
    return sock


def request(argv: list[str], cwd: str) -> bytes:
    """The line that asks for a run of `argv` in `cwd`."""
    quote = _json.encode_basestring_ascii
    listed = ", ".join(quote(a) for a in argv)
    return f'{{"argv": [{listed}], "cwd": {quote(cwd)}}}\n'.encode("ascii")


def decode(line: bytes) -> dict[str, object]:
    """One line of the server's answer."""
    text = line.decode("utf-8")
    for key, head in (("out", _OUT), ("err", _ERR)):
        if text.startswith(head):
            value, end = _json.scanstring(text, len(head), True)
            if text[end:] == "}":
                return {key: value}
    if text.startswith(_EXIT) and text.endswith("}"):
        code = text[len(_EXIT) : -1]
        if code.lstrip("-").isdigit():
            return {"exit": int(code)}
    import json  # not one of the three: whatever it is, json reads it

    message = json.loads(text)
    if not isinstance(message, dict):
        raise ValueError(f"not a message: {text[:200]!r}")
    return message


def lines(sock: _socket.socket) -> Iterator[bytes]:
    """The lines the server sends, until it closes the connection."""
    pending = b""
    while chunk := sock.recv(65536):
        pending += chunk
        *whole, pending = pending.split(b"\n")
        yield from whole
    if pending:
        yield pending


def talk(sock: _socket.socket, message: bytes) -> int | None:
    """Send `message`, print what the server prints, and return its exit code (None
    when it closed the connection before giving one)."""
    sock.sendall(message)
    for raw in lines(sock):
        answer = decode(raw)
        if "out" in answer:
            print(answer["out"], flush=True)
        elif "err" in answer:
            print(answer["err"], file=sys.stderr, flush=True)
        elif "exit" in answer:
            return int(str(answer["exit"]))
    return None
