"""Local HTTP servers that speak the Anthropic and OpenAI wire protocols, for tests.

The real SDKs reach them through their base-URL variables; nothing is mocked.
Each fake records every request (method, path, lowercased headers, raw body)
and answers from a per-test *script* of steps, one step per generation request
(`/v1/messages` for Anthropic, `/v1/chat/completions` for OpenAI), falling back
to the normal answer once the script is used up. The fake runs in the test
process on its own threads, so the server under test may run as a subprocess;
configure it before or between requests, from any thread.

    with FakeAnthropic(text="Hi.") as api:      # or FakeOpenAI(text=...) as api
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        #     server_env(OPENAI_API_KEY=KEY, OPENAI_BASE_URL=api.base_url)  (ends in /v1)
        api.script(Status(429, retry_after=0.2), Status(529), Reply(text="third try"))
        api.script(BreakStream(after_events=5), Reply())  # appends to the script
        api.script(Reply(json={"findings": []}, input_tokens=10, cache_read_tokens=900))
        api.script(Stall(seconds=30))                     # the headers never come
        api.script(Stall(seconds=30, after_events=3))     # the stream goes quiet
        api.script(Malformed(after_events=4), StreamError(after_events=2))
        api.script(Status(500), path="/v1/messages/count_tokens")  # any other endpoint
        ...
        api.requests                            # every Recorded: .method .path .route
                                                #   .headers .body .json .at .step
        api.requests_to("/v1/messages")         # those to one path (query ignored)
        await api.until_requests(2, "/v1/messages")  # wait without sleeping
        api.pending()                           # steps not consumed yet

Steps and what the SDKs make of them (anthropic 2.12, openai 3.54):
- `Reply(text=|json=, input_tokens=, output_tokens=, cache_read_tokens=,
  cache_write_tokens=, stop_reason=, chunk=)`: the normal answer with overrides.
- `Status(code, retry_after=, error_type=, message=, headers=)`: the API's error
  body; the SDKs raise their class for the code and retry 408/409/429/5xx.
- `BreakStream(after_events=N)`: the connection closes mid-stream (no
  message_stop, no terminating chunk). Anthropic: `httpx2.RemoteProtocolError`
  raised unwrapped from the iteration; OpenAI: `openai.APIConnectionError`.
- `CutStream(after_events=N)`: the stream ends cleanly after N events, with
  no message_stop / finish_reason, usage chunk or [DONE]: the SDKs raise nothing.
- `Malformed(after_events=N)`: an event whose data is cut-off JSON, then the
  rest. Both SDKs: `json.JSONDecodeError` (a ValueError), unwrapped.
- `StreamError(after_events=N, error_type=, message=)`: an in-stream error,
  then the stream ends. Anthropic: `event: error` → `anthropic.APIStatusError`
  with `.status_code == 200` and `.type == "overloaded_error"` (not
  OverloadedError); OpenAI: `data: {"error": ...}` → `openai.APIError`.
- `Stall(seconds=S, after_events=None|N)`: nothing for S seconds, before the
  headers or after N events, then the answer goes on. Before the headers both
  SDKs raise `APITimeoutError` (and retry it); mid-stream Anthropic raises
  `httpx2.ReadTimeout` unwrapped, OpenAI `openai.APITimeoutError`. A stall ends
  early when the client hangs up or the fake closes, so it never holds `close()`.
On a request that is not streamed, `BreakStream` cuts the body in half (an
`APIConnectionError`, retried), `Malformed` sends half of it as a whole body,
`StreamError` answers with its error as a status (529 for overloaded_error).

Events, for `after_events`: Anthropic sends message_start, content_block_start,
ping, one content_block_delta per `chunk` characters, content_block_stop,
message_delta (cumulative usage), message_stop. OpenAI sends a role chunk, one
chunk per `chunk` characters, a finish_reason chunk, a usage chunk (choices [])
when `stream_options.include_usage`, then `[DONE]`.

Message Batches (FakeAnthropic): create, retrieve, list, cancel, delete, and
results as JSONL at the batch's `results_url` (on the fake). A batch stays
`in_progress` until `api.end_batches()` (or, with `FakeAnthropic(batch_polls=K)`,
until its Kth retrieve); it then holds one result per custom_id: `succeeded`
with the message for `Reply()`, or what `api.batch_results({"id": Reply(...) |
Status(...) | Expired()})` said (`Status` gives `errored`). A canceled batch is
`canceling` until its next retrieve (or `end_batches()`), then `ended` with
`canceled` results. `api.batch(id)`, `api.batch_ids()` show them. Batches live
in the fake, so they survive the client's process restarting.

Like the real APIs, the Anthropic fake wants an `anthropic-version` header; with
`api_key=` set, both fakes refuse (401) a request without that key. Streams use
chunked transfer encoding, so a cut stream is an error for the client rather
than a short, complete body. `models=` lists what GET /v1/models answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import select
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

# ---------------------------------------------------------------- script steps


@dataclass(frozen=True)
class Reply:
    """A normal answer. Unset fields take the fake's defaults.

    `json` makes the text the JSON document (what structured output returns);
    JSON `null` cannot be scripted this way, use `text="null"`. Token counts
    follow Anthropic: `input_tokens` excludes the cache reads and writes (OpenAI's
    `prompt_tokens` is their sum, `cached_tokens` the reads).
    """

    text: str | None = None
    json: Any = None
    input_tokens: int | None = None
    output_tokens: int | None = None  # default: a token per 4 characters, at least 1
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    stop_reason: str = "end_turn"  # OpenAI: end_turn→stop, max_tokens→length, tool_use→tool_calls
    chunk: int | None = None  # characters per text delta


@dataclass(frozen=True)
class Status:
    """An HTTP error status with the API's error body.

    `error_type` defaults by status (Anthropic: 429 rate_limit_error, 529
    overloaded_error, 500 api_error, 401 authentication_error, ...; OpenAI: 429
    rate_limit_exceeded, 5xx server_error, ...). `retry_after` is sent in seconds
    as `retry-after`; `headers` adds any other (`retry-after-ms`, `x-should-retry`).
    """

    status: int
    retry_after: float | None = None
    error_type: str | None = None
    message: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class BreakStream:
    """Close the connection after `after_events` events of the stream."""

    after_events: int = 0


@dataclass(frozen=True)
class CutStream:
    """End the stream cleanly after `after_events` events, as a flaky proxy or server
    does: a proper end of the HTTP body, but no message_stop / finish_reason chunk,
    usage chunk or [DONE]. The SDKs raise nothing: the client must notice."""

    after_events: int = 0


@dataclass(frozen=True)
class Malformed:
    """After `after_events` events, send one whose data is cut-off JSON, then go on."""

    after_events: int = 0


@dataclass(frozen=True)
class StreamError:
    """After `after_events` events, an in-stream error event, then the stream ends."""

    after_events: int = 0
    error_type: str | None = None  # default: overloaded_error (Anthropic), server_error (OpenAI)
    message: str = "Overloaded"


@dataclass(frozen=True)
class Stall:
    """Send nothing for `seconds`: before the response headers when `after_events`
    is None, else after the headers and that many events. Then answer normally
    (the client has usually given up). Ends early if the client hangs up or the
    fake closes."""

    seconds: float
    after_events: int | None = None


@dataclass(frozen=True)
class Expired:
    """A batch result only: the request `expired`."""


Step = Reply | Status | BreakStream | CutStream | Malformed | StreamError | Stall | Expired


@dataclass
class Recorded:
    method: str
    path: str  # as sent, with any query string
    headers: dict[str, str]  # names lowercased
    body: bytes
    at: float = 0.0  # time.monotonic() when it arrived
    step: Step | None = None  # the script step that answered it, if any

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def route(self) -> str:
        """The path without its query string."""
        return urlsplit(self.path).path


# ---------------------------------------------------------------- HTTP machinery


class _Cut(Exception):
    """The exchange ends here and its connection closes (a scripted break, a stall
    cut short, or the client gone)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _rfc3339(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat().replace("+00:00", "Z")


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class _Exchange:
    """One request and the means to answer it, in whole or as a chunked stream."""

    def __init__(self, fake: _FakeServer, handler: BaseHTTPRequestHandler, recorded: Recorded):
        self.fake, self.handler, self.recorded = fake, handler, recorded
        self.method, self.route, self.body = recorded.method, recorded.route, recorded.body

    def send(
        self,
        status: int,
        data: bytes,
        content_type: str = "application/json",
        headers: Iterable[tuple[str, str]] = (),
        length: int | None = None,
    ) -> None:
        h = self.handler
        h.send_response(status)
        h.send_header("content-type", content_type)
        h.send_header("content-length", str(len(data) if length is None else length))
        for name, value in (*self.fake._response_headers(), *headers):
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()

    def send_json(self, status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.send(status, json.dumps(payload).encode(), headers=headers)

    def start_stream(self) -> None:
        h = self.handler
        h.send_response(200)
        h.send_header("content-type", "text/event-stream; charset=utf-8")
        h.send_header("cache-control", "no-cache")
        h.send_header("transfer-encoding", "chunked")
        for name, value in self.fake._response_headers():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.flush()

    def send_chunk(self, data: bytes) -> None:
        self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.handler.wfile.flush()

    def end_stream(self) -> None:
        self.handler.wfile.write(b"0\r\n\r\n")
        self.handler.wfile.flush()

    def stall(self, seconds: float) -> None:
        """Send nothing for `seconds`; raise _Cut if the client hangs up or the fake closes."""
        deadline = time.monotonic() + seconds
        sock = self.handler.connection
        while (left := deadline - time.monotonic()) > 0:
            if self.fake._closing.wait(min(left, 0.02)):
                raise _Cut
            readable, _, _ = select.select([sock], [], [], 0)
            # No pipelining: anything readable while we owe an answer is the hang-up.
            if readable and not sock.recv(1, socket.MSG_PEEK):
                raise _Cut


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default 5 drops concurrent connects: a 1 s SYN retry

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-answer is an expected event here


# ---------------------------------------------------------------- the fakes


@dataclass
class _FakeServer:
    """What both fakes share: HTTP, recording, scripts, stalls and shutdown."""

    text: str = "Hello from the fake model."
    chunk: int = 8  # characters per text delta
    input_tokens: int = 1200
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    api_key: str | None = None  # when set, a request without it gets a 401
    models: tuple[str, ...] = ()
    requests: list[Recorded] = field(default_factory=list)

    generate_route: ClassVar[str]
    request_id_header: ClassVar[str]
    stream_error_type: ClassVar[str]

    def __post_init__(self) -> None:
        fake = self
        self._lock = threading.Condition()
        self._scripts: dict[str, deque[Step]] = {}
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self._ids = itertools.count(1)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes: no Nagle delay between them.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with fake._lock:
                    fake._connections.add(self.connection)

            def finish(self) -> None:
                with fake._lock:
                    fake._connections.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                recorded = Recorded(self.command, self.path, headers, body, time.monotonic())
                fake._record(recorded)
                try:
                    fake._dispatch(_Exchange(fake, self, recorded))
                except (_Cut, OSError):
                    self._hang_up()
                except Exception:  # a bug in the fake: show it, and hang up
                    traceback.print_exc()
                    self._hang_up()

            def _hang_up(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            do_GET = do_POST = do_DELETE = _any

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle

    @property
    def root_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop serving; stalled answers end at once, open connections are closed."""
        self._closing.set()
        if self._thread.is_alive():
            self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._server.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scripting and recording

    def script(self, *steps: Step, path: str | None = None) -> None:
        """Append steps, consumed one per request to `path` (default: generation)."""
        with self._lock:
            self._scripts.setdefault(path or self.generate_route, deque()).extend(steps)

    def pending(self, path: str | None = None) -> list[Step]:
        """The steps not consumed yet."""
        with self._lock:
            return list(self._scripts.get(path or self.generate_route, ()))

    def requests_to(self, path: str) -> list[Recorded]:
        """The recorded requests to `path` (without query string), in order."""
        with self._lock:
            return [r for r in self.requests if r.route == path]

    def wait_for_requests(
        self, count: int, path: str | None = None, timeout: float = 10.0
    ) -> list[Recorded]:
        """Block until `count` requests (to `path`, if given) arrived; TimeoutError if not."""

        def arrived() -> list[Recorded]:
            return [r for r in self.requests if path is None or r.route == path]

        with self._lock:
            if not self._lock.wait_for(lambda: len(arrived()) >= count, timeout):
                raise TimeoutError(f"{len(arrived())} of {count} requests to {path or 'any'}")
            return arrived()

    async def until_requests(
        self, count: int, path: str | None = None, timeout: float = 10.0
    ) -> list[Recorded]:
        """`wait_for_requests` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for_requests, count, path, timeout)

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)
            self._lock.notify_all()

    def _take(self, ex: _Exchange) -> Step | None:
        with self._lock:
            queue = self._scripts.get(ex.route)
            step = queue.popleft() if queue else None
        ex.recorded.step = step
        return step

    def _response_headers(self) -> list[tuple[str, str]]:
        return [(self.request_id_header, f"req_fake_{next(self._ids)}")]

    # -- answering, shared by both protocols

    def _dispatch(self, ex: _Exchange) -> None:
        raise NotImplementedError

    def _error(
        self,
        ex: _Exchange,
        status: int,
        message: str,
        error_type: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        ex.send_json(status, self._error_body(status, error_type, message), headers)

    def _error_body(self, status: int, error_type: str | None, message: str) -> dict[str, Any]:
        raise NotImplementedError

    def _send_status(self, ex: _Exchange, step: Status) -> None:
        headers = list(step.headers)
        if step.retry_after is not None:
            value = step.retry_after
            headers.append(("retry-after", str(int(value)) if value == int(value) else str(value)))
        message = step.message or f"scripted {step.status}"
        self._error(ex, step.status, message, step.error_type, headers)

    def _status_of(self, step: StreamError) -> Status:
        """What a stream error is on a request that was not streamed."""
        error_type = step.error_type or self.stream_error_type
        return Status(529 if "overloaded" in error_type else 500, None, error_type, step.message)

    def _answer(
        self, ex: _Exchange, step: Step | None, payload: Any, content_type: str = "application/json"
    ) -> None:
        """A whole answer (JSON, or bytes as they are), with the step's fault if it has one."""
        if isinstance(step, StreamError):
            step = self._status_of(step)
        if isinstance(step, Status):
            self._send_status(ex, step)
            return
        if isinstance(step, Stall):
            ex.stall(step.seconds)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        if isinstance(step, BreakStream):
            ex.send(200, data[: len(data) // 2], content_type, length=len(data))
            raise _Cut
        if isinstance(step, Malformed):
            data = data[: len(data) // 2]
        ex.send(200, data, content_type)

    def _stream(self, ex: _Exchange, step: Step | None, events: list[Any]) -> None:
        """A stream of events, with the step's fault at its place."""
        if isinstance(step, Status):
            self._send_status(ex, step)
            return
        if isinstance(step, Stall) and step.after_events is None:
            ex.stall(step.seconds)
        at = getattr(step, "after_events", None)
        ex.start_stream()
        for i, event in enumerate(events):
            if i == at and self._fault(ex, step, event):
                return
            ex.send_chunk(self._frame(event))
        if at is not None and at >= len(events) and self._fault(ex, step, events[-1]):
            return
        ex.end_stream()

    def _fault(self, ex: _Exchange, step: Step | None, event: Any) -> bool:
        """Play the step's fault before `event`; True if that ended the stream."""
        if isinstance(step, BreakStream):
            raise _Cut
        if isinstance(step, CutStream):
            ex.end_stream()
            return True
        if isinstance(step, Stall):
            ex.stall(step.seconds)
        elif isinstance(step, Malformed):
            ex.send_chunk(self._malformed_frame(event))
        elif isinstance(step, StreamError):
            ex.send_chunk(self._error_frame(step))
            ex.end_stream()
            return True
        return False

    def _frame(self, event: Any) -> bytes:
        raise NotImplementedError

    def _malformed_frame(self, event: Any) -> bytes:
        raise NotImplementedError

    def _error_frame(self, step: StreamError) -> bytes:
        raise NotImplementedError

    def _params(self, ex: _Exchange, *required: str) -> dict[str, Any] | None:
        """The JSON body, or None after answering 400 for a bad one."""
        try:
            params = json.loads(ex.body or b"{}")
        except ValueError as err:
            self._error(ex, 400, f"invalid JSON body: {err}", "invalid_request_error")
            return None
        if not isinstance(params, dict):
            self._error(ex, 400, "the body must be a JSON object", "invalid_request_error")
            return None
        if missing := [k for k in required if k not in params]:
            self._error(ex, 400, f"{', '.join(missing)}: Field required", "invalid_request_error")
            return None
        return params

    def _reply_text(self, reply: Reply) -> str:
        if reply.json is not None:
            return json.dumps(reply.json)
        return self.text if reply.text is None else reply.text

    def _deltas(self, reply: Reply, text: str) -> list[str]:
        size = reply.chunk or self.chunk
        return [text[i : i + size] for i in range(0, len(text), size)]

    def _pick(self, value: int | None, default: int) -> int:
        return default if value is None else value


@dataclass
class FakeAnthropic(_FakeServer):
    """The Messages API. `with FakeAnthropic(text=...) as api:`; `api.base_url` for the SDK."""

    chars_per_token: float = 4.0  # how count_tokens counts: characters of the prompt per token
    # A batch ends by itself on its Nth retrieve; None: only end_batches() ends it.
    batch_polls: int | None = None
    models: tuple[str, ...] = ("claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5")

    generate_route: ClassVar[str] = "/v1/messages"
    request_id_header: ClassVar[str] = "request-id"
    stream_error_type: ClassVar[str] = "overloaded_error"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._batches: dict[str, dict[str, Any]] = {}
        self._batch_requests: dict[str, list[dict[str, Any]]] = {}
        self._batch_polls: dict[str, int] = {}
        self._batch_outcomes: dict[str, Step] = {}
        self._batch_numbers = itertools.count(1)

    @property
    def base_url(self) -> str:
        """ANTHROPIC_BASE_URL."""
        return self.root_url

    # -- batches, as the test drives them

    def batch_results(self, outcomes: dict[str, Step]) -> None:
        """How requests end, by custom_id: Reply (succeeded), Status (errored), Expired()."""
        with self._lock:
            self._batch_outcomes.update(outcomes)

    def end_batches(self, *ids: str) -> None:
        """End these batches (default: every one not ended), fixing their results."""
        with self._lock:
            for batch_id in ids or list(self._batches):
                if self._batches[batch_id]["processing_status"] != "ended":
                    self._end_batch(batch_id)

    def batch(self, batch_id: str) -> dict[str, Any]:
        """A batch as the API shows it."""
        with self._lock:
            batch = self._batches[batch_id]
            shown: dict[str, Any] = json.loads(json.dumps(batch))  # a copy
        shown.pop("_results", None)
        return shown

    def batch_ids(self) -> list[str]:
        with self._lock:
            return list(self._batches)

    # -- the protocol

    def count(self, params: dict[str, Any]) -> int:
        """Input tokens of a request: its system and message text, by `chars_per_token`."""
        system = params.get("system", [])
        texts = [system] if isinstance(system, str) else [b.get("text", "") for b in system]
        for message in params["messages"]:
            content = message["content"]
            texts += [content] if isinstance(content, str) else [b.get("text", "") for b in content]
        return int(sum(len(t) for t in texts) / self.chars_per_token + 0.999)

    def usage(self, reply: Reply, output_tokens: int, tier: str = "standard") -> dict[str, Any]:
        write = self._pick(reply.cache_write_tokens, self.cache_write_tokens)
        return {
            "input_tokens": self._pick(reply.input_tokens, self.input_tokens),
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": self._pick(reply.cache_read_tokens, self.cache_read_tokens),
            "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
            "service_tier": tier,
        }

    def message(
        self, params: dict[str, Any], reply: Reply | None = None, tier: str = "standard"
    ) -> dict[str, Any]:
        """The whole Message a request gets for `reply`."""
        reply = reply or Reply()
        text = self._reply_text(reply)
        return {
            "id": f"msg_fake_{next(self._ids)}",
            "type": "message",
            "role": "assistant",
            "model": params.get("model", "claude-fake"),
            "content": [{"type": "text", "text": text}],
            "stop_reason": reply.stop_reason,
            "stop_sequence": None,
            "usage": self.usage(reply, self._pick(reply.output_tokens, _tokens(text)), tier),
        }

    def events(self, params: dict[str, Any], reply: Reply | None = None) -> list[dict[str, Any]]:
        """The stream of events a request gets for `reply`, as the API sends them."""
        final = self.message(params, reply)
        reply = reply or Reply()
        start = {**final, "content": [], "stop_reason": None, "usage": {**final["usage"]}}
        start["usage"]["output_tokens"] = 1
        text = final["content"][0]["text"]
        usage = {
            k: v for k, v in final["usage"].items() if k not in ("service_tier", "cache_creation")
        }
        return [
            {"type": "message_start", "message": start},
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            {"type": "ping"},
            *(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": d},
                }
                for d in self._deltas(reply, text)
            ),
            {"type": "content_block_stop", "index": 0},
            {
                "type": "message_delta",
                "delta": {"stop_reason": final["stop_reason"], "stop_sequence": None},
                "usage": usage,
            },
            {"type": "message_stop"},
        ]

    def _error_body(self, status: int, error_type: str | None, message: str) -> dict[str, Any]:
        default = {
            400: "invalid_request_error",
            401: "authentication_error",
            402: "billing_error",
            403: "permission_error",
            404: "not_found_error",
            413: "request_too_large",
            429: "rate_limit_error",
            504: "timeout_error",
            529: "overloaded_error",
        }.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return {
            "type": "error",
            "error": {"type": error_type or default, "message": message},
            "request_id": None,
        }

    def _frame(self, event: dict[str, Any]) -> bytes:
        return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()

    def _malformed_frame(self, event: dict[str, Any]) -> bytes:
        data = json.dumps(event)
        # The SDKs skip pings unread: make it an event they parse.
        name = "content_block_delta" if event["type"] == "ping" else event["type"]
        return f"event: {name}\ndata: {data[: len(data) // 2]}\n\n".encode()

    def _error_frame(self, step: StreamError) -> bytes:
        error = {"type": step.error_type or self.stream_error_type, "message": step.message}
        body = {"type": "error", "error": error}
        return f"event: error\ndata: {json.dumps(body)}\n\n".encode()

    def _dispatch(self, ex: _Exchange) -> None:
        h = ex.recorded.headers
        if "anthropic-version" not in h:
            self._error(ex, 400, "anthropic-version: header is required")
            return
        key = h.get("x-api-key") or h.get("authorization", "").removeprefix("Bearer ")
        if self.api_key is not None and key != self.api_key:
            self._error(ex, 401, "invalid x-api-key")
            return
        parts = ex.route.strip("/").split("/")
        match ex.method, parts:
            case "POST", ["v1", "messages"]:
                if (params := self._params(ex, "model", "max_tokens", "messages")) is not None:
                    step = self._take(ex)
                    reply = step if isinstance(step, Reply) else Reply()
                    if params.get("stream"):
                        self._stream(ex, step, self.events(params, reply))
                    else:
                        self._answer(ex, step, self.message(params, reply))
            case "POST", ["v1", "messages", "count_tokens"]:
                if (params := self._params(ex, "model", "messages")) is not None:
                    self._answer(ex, self._take(ex), {"input_tokens": self.count(params)})
            case "POST", ["v1", "messages", "batches"]:
                self._create_batch(ex)
            case "GET", ["v1", "messages", "batches"]:
                with self._lock:
                    data = [self.batch(i) for i in reversed(self._batches)]
                self._answer(ex, self._take(ex), self._page(data))
            case method, ["v1", "messages", "batches", batch_id, *rest]:
                self._batch_call(ex, method, batch_id, rest)
            case "GET", ["v1", "models"]:
                self._answer(ex, self._take(ex), self._page([self._model(m) for m in self.models]))
            case "GET", ["v1", "models", model] if model in self.models:
                self._answer(ex, self._take(ex), self._model(model))
            case _:
                self._error(ex, 404, f"Not found: {ex.method} {ex.route}")

    def _page(self, data: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }

    def _model(self, model: str) -> dict[str, Any]:
        return {
            "type": "model",
            "id": model,
            "display_name": model.replace("-", " ").title(),
            "created_at": "2026-01-01T00:00:00Z",
            "lifecycle": "active",
            "deprecated_at": None,
            "retires_at": None,
        }

    # -- batches on the wire

    def _create_batch(self, ex: _Exchange) -> None:
        params = self._params(ex, "requests")
        if params is None:
            return
        requests = params["requests"]
        ids = [r.get("custom_id") for r in requests]
        if not requests or None in ids or len(set(ids)) != len(ids):
            self._error(ex, 400, "requests: need at least one, each with a unique custom_id")
            return
        step = self._take(ex)
        if isinstance(step, Status | StreamError):
            self._answer(ex, step, None)
            return
        created = _now()
        with self._lock:
            batch_id = f"msgbatch_fake_{next(self._batch_numbers):04d}"
            self._batch_requests[batch_id] = requests
            self._batch_polls[batch_id] = 0
            self._batches[batch_id] = {
                "id": batch_id,
                "type": "message_batch",
                "processing_status": "in_progress",
                "request_counts": {
                    "processing": len(requests),
                    "succeeded": 0,
                    "errored": 0,
                    "canceled": 0,
                    "expired": 0,
                },
                "created_at": _rfc3339(created),
                "expires_at": _rfc3339(created + timedelta(hours=24)),
                "ended_at": None,
                "cancel_initiated_at": None,
                "archived_at": None,
                "results_url": None,
            }
            payload = self.batch(batch_id)
        self._answer(ex, step, payload)

    def _batch_call(self, ex: _Exchange, method: str, batch_id: str, rest: list[str]) -> None:
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is not None and method == "GET" and not rest:
                self._batch_polls[batch_id] += 1
                polls = self._batch_polls[batch_id]
                if batch["processing_status"] == "canceling" or (
                    batch["processing_status"] == "in_progress"
                    and self.batch_polls is not None
                    and polls >= self.batch_polls
                ):
                    self._end_batch(batch_id)
        if batch is None:
            self._error(ex, 404, f"batch {batch_id} not found")
        elif method == "GET" and not rest:
            self._answer(ex, self._take(ex), self.batch(batch_id))
        elif method == "POST" and rest == ["cancel"]:
            with self._lock:
                if batch["processing_status"] == "in_progress":
                    batch["processing_status"] = "canceling"
                    batch["cancel_initiated_at"] = _rfc3339(_now())
            self._answer(ex, self._take(ex), self.batch(batch_id))
        elif method == "GET" and rest == ["results"]:
            if batch["processing_status"] != "ended":
                self._error(ex, 404, f"batch {batch_id} has not ended: no results yet")
                return
            lines = b"".join(json.dumps(r).encode() + b"\n" for r in batch["_results"])
            self._answer(ex, self._take(ex), lines, "application/x-jsonl")
        elif method == "DELETE" and not rest:
            if batch["processing_status"] != "ended":
                self._error(ex, 400, f"batch {batch_id} is still processing")
                return
            with self._lock:
                del self._batches[batch_id]
            self._answer(ex, self._take(ex), {"id": batch_id, "type": "message_batch_deleted"})
        else:
            self._error(ex, 404, f"Not found: {ex.method} {ex.route}")

    def _end_batch(self, batch_id: str) -> None:
        """Called with the lock held."""
        batch = self._batches[batch_id]
        canceled = batch["processing_status"] == "canceling"
        results = []
        for request in self._batch_requests[batch_id]:
            outcome = self._batch_outcomes.get(request["custom_id"], Reply())
            result: dict[str, Any]
            if canceled:
                result = {"type": "canceled"}
            elif isinstance(outcome, Expired):
                result = {"type": "expired"}
            elif isinstance(outcome, Status):
                message = outcome.message or f"scripted {outcome.status}"
                result = {
                    "type": "errored",
                    "error": self._error_body(outcome.status, outcome.error_type, message),
                }
            else:
                reply = outcome if isinstance(outcome, Reply) else Reply()
                result = {
                    "type": "succeeded",
                    "message": self.message(request["params"], reply, tier="batch"),
                }
            results.append({"custom_id": request["custom_id"], "result": result})
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for r in results:
            counts[r["result"]["type"]] += 1
        batch.update(
            processing_status="ended",
            request_counts=counts,
            ended_at=_rfc3339(_now()),
            results_url=f"{self.base_url}/v1/messages/batches/{batch_id}/results",
        )
        batch["_results"] = results


@dataclass
class FakeOpenAI(_FakeServer):
    """Chat Completions. `with FakeOpenAI(text=...) as api:`; `api.base_url` (ends in /v1)."""

    models: tuple[str, ...] = ("gpt-5.5", "gpt-5.6-luna")

    generate_route: ClassVar[str] = "/v1/chat/completions"
    request_id_header: ClassVar[str] = "x-request-id"
    stream_error_type: ClassVar[str] = "server_error"

    @property
    def base_url(self) -> str:
        """OPENAI_BASE_URL: the SDK's paths are relative to /v1."""
        return f"{self.root_url}/v1"

    def usage(self, reply: Reply, completion_tokens: int) -> dict[str, Any]:
        read = self._pick(reply.cache_read_tokens, self.cache_read_tokens)
        write = self._pick(reply.cache_write_tokens, self.cache_write_tokens)
        prompt = self._pick(reply.input_tokens, self.input_tokens) + read + write
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": read, "cache_write_tokens": write},
            "completion_tokens_details": {"reasoning_tokens": 0},
        }

    def _finish(self, reply: Reply) -> str:
        return {"max_tokens": "length", "tool_use": "tool_calls", "refusal": "content_filter"}.get(
            reply.stop_reason, "stop"
        )

    def completion(self, params: dict[str, Any], reply: Reply | None = None) -> dict[str, Any]:
        """The whole ChatCompletion a request gets for `reply`."""
        reply = reply or Reply()
        text = self._reply_text(reply)
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        return {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": params.get("model", "gpt-fake"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": self._finish(reply),
                    "logprobs": None,
                }
            ],
            "usage": self.usage(reply, self._pick(reply.output_tokens, _tokens(text))),
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    def chunks(self, params: dict[str, Any], reply: Reply | None = None) -> list[Any]:
        """The stream a request gets for `reply`: chunk objects, then "[DONE]"."""
        final = self.completion(params, reply)
        reply = reply or Reply()
        text = final["choices"][0]["message"]["content"]
        with_usage = bool((params.get("stream_options") or {}).get("include_usage"))
        base = {
            k: final[k] for k in ("id", "created", "model", "service_tier", "system_fingerprint")
        }
        base["object"] = "chat.completion.chunk"
        if with_usage:
            base["usage"] = None

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            return {**base, "choices": [choice]}

        chunks: list[Any] = [chunk({"role": "assistant", "content": "", "refusal": None})]
        chunks += [chunk({"content": d}) for d in self._deltas(reply, text)]
        chunks.append(chunk({}, final["choices"][0]["finish_reason"]))
        if with_usage:
            chunks.append({**base, "choices": [], "usage": final["usage"]})
        return [*chunks, "[DONE]"]

    def _error_body(self, status: int, error_type: str | None, message: str) -> dict[str, Any]:
        kind, code = {
            401: ("invalid_request_error", "invalid_api_key"),
            404: ("invalid_request_error", "not_found"),
            429: ("requests", "rate_limit_exceeded"),
        }.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
        if error_type:
            kind = code = error_type
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    def _frame(self, event: Any) -> bytes:
        return f"data: {event if isinstance(event, str) else json.dumps(event)}\n\n".encode()

    def _malformed_frame(self, event: Any) -> bytes:
        data = event if isinstance(event, str) else json.dumps(event)
        return f"data: {data[: len(data) // 2]}\n\n".encode()

    def _error_frame(self, step: StreamError) -> bytes:
        kind = step.error_type or self.stream_error_type
        body = {"message": step.message, "type": kind, "param": None, "code": None}
        return f"data: {json.dumps({'error': body})}\n\n".encode()

    def _dispatch(self, ex: _Exchange) -> None:
        key = ex.recorded.headers.get("authorization", "").removeprefix("Bearer ")
        if self.api_key is not None and key != self.api_key:
            self._error(ex, 401, "Incorrect API key provided.")
            return
        parts = ex.route.strip("/").split("/")
        match ex.method, parts:
            case "POST", ["v1", "chat", "completions"]:
                if (params := self._params(ex, "model", "messages")) is not None:
                    step = self._take(ex)
                    reply = step if isinstance(step, Reply) else Reply()
                    if params.get("stream"):
                        self._stream(ex, step, self.chunks(params, reply))
                    else:
                        self._answer(ex, step, self.completion(params, reply))
            case "GET", ["v1", "models"]:
                data = [self._model(m) for m in self.models]
                self._answer(ex, self._take(ex), {"object": "list", "data": data})
            case "GET", ["v1", "models", model] if model in self.models:
                self._answer(ex, self._take(ex), self._model(model))
            case _:
                self._error(ex, 404, f"Not found: {ex.method} {ex.route}")

    def _model(self, model: str) -> dict[str, Any]:
        return {"id": model, "object": "model", "created": 1767225600, "owned_by": "openai"}
