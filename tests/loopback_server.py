"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests: JSON and SSE, scriptable per test.

Registered for every test by `pytest_plugins = ["tests.loopback_server"]` in tests/conftest.py, so
any test can take the `loopback` fixture:

    def test_reply(loopback):
        loopback.enqueue(Reply.completion("Hello"))
        ... point the client at loopback.base_url (ends in /v1) ...
        assert loopback.requests[-1].headers["authorization"] == "Bearer test-key"

Queued replies are served first in, first out, to whichever request comes next, whatever its
path (assert the paths from `loopback.requests`). With nothing queued the server answers by
`default_reply` (replaceable per test): POST .../chat/completions answers
"Echo: <last user message>" (streamed word by word when the body has "stream": true),
GET .../models lists a model, anything else is a 404 problem-details body.

The server runs in a thread, so sync tests, async tests and Textual app tests can all use it.
Delays wait on an event that `close()` sets, so a slow scripted reply never holds up teardown.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

DEFAULT_MODEL = "loopback/echo"


def chunk(
    content: str | None = None,
    *,
    reasoning_content: str | None = None,
    reasoning: str | None = None,
    finish_reason: str | None = None,
    usage: Mapping[str, int] | None = None,
    model: str = DEFAULT_MODEL,
) -> dict[str, Any]:
    """One `chat.completion.chunk` SSE payload; only the given delta fields are present."""
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if reasoning_content is not None:
        delta["reasoning_content"] = reasoning_content
    if reasoning is not None:
        delta["reasoning"] = reasoning
    payload: dict[str, Any] = {
        "id": "chatcmpl-loopback",
        "object": "chat.completion.chunk",
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
    if usage is not None:
        payload["usage"] = dict(usage)
    return payload


@dataclass(frozen=True)
class Reply:
    """One scripted answer.

    `events` set makes it an SSE stream (dicts are JSON-encoded, strings sent as the data line
    verbatim), ended by `data: [DONE]` when `done`. `cut_after=N` drops the connection after N
    events, without [DONE] or the end of the chunked body. `delay` waits before the status line;
    `event_delay` between events. `hang_up` closes the connection without any answer.
    Otherwise `json` (or raw `body`) is sent with `status`.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    body: bytes | None = None
    events: Sequence[Mapping[str, Any] | str] | None = None
    done: bool = True
    cut_after: int | None = None
    delay: float = 0.0
    event_delay: float = 0.0
    hang_up: bool = False  # close the connection without answering at all

    @classmethod
    def completion(
        cls,
        text: str | None,
        *,
        reasoning_content: str | None = None,
        reasoning: str | None = None,
        finish_reason: str = "stop",
        usage: Mapping[str, int] | None = None,
        model: str = DEFAULT_MODEL,
        **options: Any,
    ) -> Reply:
        """A non-streamed `chat.completion` answer."""
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if reasoning_content is not None:
            message["reasoning_content"] = reasoning_content
        if reasoning is not None:
            message["reasoning"] = reasoning
        return cls(
            json={
                "id": "chatcmpl-loopback",
                "object": "chat.completion",
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
                "usage": dict(
                    usage or {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
                ),
            },
            **options,
        )

    @classmethod
    def stream(
        cls,
        pieces: Sequence[str],
        *,
        reasoning_pieces: Sequence[str] = (),
        finish_reason: str = "stop",
        usage: Mapping[str, int] | None = None,
        model: str = DEFAULT_MODEL,
        **options: Any,
    ) -> Reply:
        """An SSE answer: reasoning_content deltas, then content deltas, then a finish chunk."""
        events: list[Mapping[str, Any] | str] = [
            chunk(reasoning_content=piece, model=model) for piece in reasoning_pieces
        ]
        events += [chunk(piece, model=model) for piece in pieces]
        events.append(chunk(finish_reason=finish_reason, usage=usage, model=model))
        return cls(events=events, **options)

    @classmethod
    def problem(
        cls,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> Reply:
        """An error answer with a problem-details body, as the hosted NVIDIA API sends."""
        return cls(
            status=status,
            headers={"Content-Type": "application/problem+json", **(headers or {})},
            json={"status": status, "title": title or "Error", "detail": detail},
            **options,
        )

    @classmethod
    def accepted(cls, request_id: str, **options: Any) -> Reply:
        """202 with an NVCF-REQID header: the client should poll {base}/status/{request_id}."""
        return cls(status=202, headers={"NVCF-REQID": request_id}, **options)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # lower-cased names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def echo_reply(request: RecordedRequest) -> Reply:
    """The default answer: an echo of the last user message, or the model list."""
    if request.method == "GET" and request.path.endswith("/models"):
        return Reply(json={"object": "list", "data": [{"id": DEFAULT_MODEL, "object": "model"}]})
    if request.method != "POST" or not request.path.endswith("/chat/completions"):
        return Reply.problem(404, f"No route for {request.method} {request.path}")
    try:
        body = request.json or {}
    except json.JSONDecodeError:
        return Reply.problem(400, "Request body is not JSON")
    users = [m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"]
    text = f"Echo: {users[-1] if users else '(no message)'}"
    model = str(body.get("model") or DEFAULT_MODEL)
    if body.get("stream"):
        words = text.split(" ")
        return Reply.stream([w if i == 0 else f" {w}" for i, w in enumerate(words)], model=model)
    return Reply.completion(text, model=model)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (a cancelled stream) is expected, not an error."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections end on their own
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        reply = self.server.owner._take(request)
        try:
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _wait(self, seconds: float) -> bool:
        """Sleep; False when the server is closing (stop answering)."""
        return seconds <= 0 or not self.server.owner._closing.wait(seconds)

    def _send(self, reply: Reply) -> None:
        if not self._wait(reply.delay) or reply.hang_up:
            self._cut()
            return
        if reply.events is not None:
            self._send_events(reply)
            return
        if reply.body is not None:
            payload = reply.body
        elif reply.json is not None:
            payload = json.dumps(reply.json).encode()
        else:
            payload = b""
        self.send_response(reply.status)
        if payload and not any(k.lower() == "content-type" for k in reply.headers):
            self.send_header("Content-Type", "application/json")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _send_events(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        for index, event in enumerate(reply.events or ()):
            if reply.cut_after is not None and index >= reply.cut_after:
                self._cut()
                return
            if index and not self._wait(reply.event_delay):
                self._cut()
                return
            data = event if isinstance(event, str) else json.dumps(event)
            self._write_chunk(f"data: {data}\n\n".encode())
        if reply.cut_after is not None:
            self._cut()
            return
        if reply.done:
            self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _cut(self) -> None:
        """Drop the connection (mid-body, or before answering), as a crashed worker would."""
        self.close_connection = True
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)


class LoopbackServer:
    """The running server: script it with `enqueue`, inspect `requests`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._closing = threading.Event()
        self.default_reply: Callable[[RecordedRequest], Reply] = echo_reply
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (what a ModelDefinition's base_url would hold)."""
        return f"{self.origin}/v1"

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """Queued replies not served yet."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            return self._requests[-1]

    def _take(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            reply = self._queue.popleft() if self._queue else None
        return reply if reply is not None else self.default_reply(request)

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A fresh loopback server for one test; `.base_url` ends in /v1."""
    server = LoopbackServer()
    try:
        yield server
    finally:
        server.close()
