"""A local HTTP server that speaks the Anthropic Messages API wire protocol.

The real SDK reaches it through ANTHROPIC_BASE_URL. It records every request
(headers and body bytes) so tests can check exactly what left the machine,
and answers with a scripted text, streamed as SSE with the real event
sequence when the request asks for a stream.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeAnthropic:
    """Start with `with FakeAnthropic(text=...) as api:`; `api.base_url` for the SDK."""

    text: str = "Hello from the fake model."
    chunk: int = 8  # characters per text delta
    input_tokens: int = 1200
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    chars_per_token: float = 4.0  # how count_tokens counts: characters of the prompt per token
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                fake.requests.append(
                    Recorded(
                        "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                if self.path.split("?")[0] == "/v1/messages/count_tokens":
                    self._json(200, {"input_tokens": fake.count(json.loads(body))})
                    return
                if self.path.split("?")[0] != "/v1/messages":
                    self._json(
                        404,
                        {
                            "type": "error",
                            "error": {"type": "not_found_error", "message": self.path},
                        },
                    )
                    return
                params = json.loads(body)
                if params.get("stream"):
                    self._stream(params)
                else:
                    self._json(200, fake.message(params, fake.text, len(fake.text) // 4))

            def _json(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, params: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.send_header("connection", "close")
                self.end_headers()
                for event in fake.events(params):
                    self.wfile.write(
                        f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
                    )
                    self.wfile.flush()
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self, params: dict[str, Any]) -> int:
        """Input tokens of a request: its system and message text, by `chars_per_token`."""
        texts = [b["text"] for b in params.get("system", []) if isinstance(b, dict)]
        for message in params["messages"]:
            content = message["content"]
            texts += [content] if isinstance(content, str) else [b.get("text", "") for b in content]
        return int(sum(len(t) for t in texts) / self.chars_per_token + 0.999)

    def usage(self, output_tokens: int) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": self.cache_write_tokens,
            "cache_read_input_tokens": self.cache_read_tokens,
        }

    def message(self, params: dict[str, Any], text: str, output_tokens: int) -> dict[str, Any]:
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": params["model"],
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": self.usage(output_tokens),
        }

    def events(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        start = self.message(params, "", 1)
        start["content"], start["stop_reason"] = [], None
        deltas = [self.text[i : i + self.chunk] for i in range(0, len(self.text), self.chunk)]
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
                for d in deltas
            ),
            {"type": "content_block_stop", "index": 0},
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": max(1, len(self.text) // 4)},
            },
            {"type": "message_stop"},
        ]
