"""A hand-written, fault-injecting stand-in for an OpenAI-compatible server, for
testing the LLM client's error paths only (429 with Retry-After, 5xx, timeouts,
connection resets, unreadable bodies, validation re-asks). It is not a model and
not a fake of the API's behaviour beyond the bare response shape; the happy path
is tested against a real server (``tests/llm_server.py``) and cassettes.

Standard library only: a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0) in a
daemon thread. ``POST /v1/chat/completions`` is answered from a script, one
action per request, in order:

    ("status", 429, {"Retry-After": "1"})   an OpenAI-style error with that status
    ("status", 500)                         (headers are optional)
    ("sleep", 3.0)                          wait, then answer (content optional,
    ("sleep", 3.0, '{"text": "late"}')        default '{"text": "late"}')
    ("reset",)                              close the socket with SO_LINGER (1, 0):
                                            the client sees a connection reset
    ("malformed",)                          200 whose body is not JSON
    ("answer", '{"text": "hi"}')            200 chat.completion with that content
    ("slow", '{"text": "hi"}', 0.3)         the content streamed one piece (about a
                                            token, 4 characters) every 0.3 s
    ("stall", '{"text": "hi"}', 3, 5.0)     3 pieces, then silence for 5 s, then the rest
    ("plain", '{"text": "hi"}')             a chat.completion body even when asked to
                                            stream (a server that cannot stream)

A request that asks to stream (``"stream": true``) gets the answer as server-sent
events, as OpenAI-compatible servers send it (chat.completion.chunk objects, a last
chunk with the finish reason, a usage chunk when ``stream_options.include_usage``, then
``data: [DONE]``); "malformed" then sends an event whose data is not JSON. Otherwise
"slow" and "stall" answer in one body after the same waits.

When the script runs out, ``default`` is used for every further request (None:
a 400 saying the script is exhausted, so a test that sends too many requests
fails fast instead of being retried). Every request is recorded (monotonic
receive time, parsed JSON body, headers) in ``requests``.

    with FaultServer([("status", 500), ("answer", '{"text": "ok"}')]) as server:
        ... REVIEWER_API_BASE=server.url ...
        assert len(server.requests) == 2
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Action = tuple[Any, ...]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


@dataclass
class RecordedRequest:
    received: float  # time.monotonic() when the request line was read
    path: str
    headers: dict[str, str]  # header names lower-cased
    body: Any  # parsed JSON, or the raw text if it was not JSON
    action: Action = field(default=())

    @property
    def messages(self) -> list[dict[str, Any]]:
        if isinstance(self.body, dict):
            return list(self.body.get("messages") or [])
        return []


def pieces(content: str) -> list[str]:
    """The content cut as a server streams it: about one token (4 characters) a chunk."""
    return [content[i : i + 4] for i in range(0, len(content), 4)] or [""]


def completion(content: str, model: str = "fault-test", prompt_tokens: int = 20) -> dict[str, Any]:
    """A well-formed chat.completion body."""
    completion_tokens = len(pieces(content))
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._send_json(404, {"error": {"message": f"no route GET {self.path}"}})

    def do_POST(self) -> None:
        received = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        try:
            body: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": f"no route POST {self.path}"}})
            return
        owner = self.server.owner
        action = owner._next_action()
        owner._record(
            RecordedRequest(
                received=received,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                action=action,
            )
        )
        model = body.get("model", "fault-test") if isinstance(body, dict) else "fault-test"
        streamed = isinstance(body, dict) and body.get("stream") is True
        usage = streamed and bool((body.get("stream_options") or {}).get("include_usage"))
        kind = action[0]
        if kind == "status":
            status = int(action[1])
            headers = dict(action[2]) if len(action) > 2 and action[2] else {}
            message = action[3] if len(action) > 3 else f"fault server: injected {status}"
            error = {
                "message": message,
                "type": ERROR_TYPES.get(status, "server_error"),
                "code": None,
            }
            self._send_json(status, {"error": error}, headers)
        elif kind == "sleep":
            owner._stopping.wait(float(action[1]))
            content = action[2] if len(action) > 2 else '{"text": "late"}'
            self._answer(content, model, streamed, usage)
        elif kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif kind == "malformed":
            if streamed:
                self._send_events([(0.0, b"data: <html>this is not JSON {\n\n")])
            else:
                self._send_raw(200, b"<html>this is not JSON {", "application/json")
        elif kind == "answer":
            self._answer(str(action[1]), model, streamed, usage)
        elif kind == "plain":
            self._send_json(200, completion(str(action[1]), model))
        elif kind in ("slow", "stall"):
            content = str(action[1])
            waits = [0.0] * len(pieces(content))
            if kind == "slow":
                waits = [float(action[2])] * len(waits)
            elif int(action[2]) < len(waits):
                waits[int(action[2])] = float(action[3])
            self._answer(content, model, streamed, usage, waits)
        elif kind == "exhausted":
            self._send_json(400, {"error": {"message": "fault server: script exhausted"}})
        else:  # pragma: no cover - a typo in a test's script
            self._send_json(400, {"error": {"message": f"fault server: unknown action {action}"}})

    def _answer(
        self,
        content: str,
        model: str,
        streamed: bool,
        usage: bool,
        waits: list[float] | None = None,
    ) -> None:
        """The answer, streamed when asked, each piece after its wait (silence first)."""
        stopping = self.server.owner._stopping
        if not streamed:
            for wait in waits or []:
                stopping.wait(wait)
            self._send_json(200, completion(content, model))
            return
        body = completion(content, model)
        events: list[tuple[float, bytes]] = []
        for i, piece in enumerate(pieces(content)):
            delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
            wait = waits[i] if waits else 0.0
            events.append((wait, _event(body, [{"index": 0, "delta": delta}])))
        events.append((0.0, _event(body, [{"index": 0, "delta": {}, "finish_reason": "stop"}])))
        if usage:
            events.append((0.0, _event(body, [], body["usage"])))
        events.append((0.0, b"data: [DONE]\n\n"))
        self._send_events(events)

    def _send_events(self, events: list[tuple[float, bytes]]) -> None:
        """A 200 text/event-stream response, chunked, each event after its wait."""
        stopping = self.server.owner._stopping
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for wait, data in events:
                if wait and stopping.wait(wait):
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout test): nobody is listening any more.
            self.close_connection = True

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_raw(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout test): nobody is listening any more.
            self.close_connection = True


def _event(body: dict[str, Any], choices: list[Any], usage: Any = None) -> bytes:
    """One server-sent event: a chat.completion.chunk of ``body``'s id and model."""
    chunk = {
        "id": body["id"],
        "object": "chat.completion.chunk",
        "created": body["created"],
        "model": body["model"],
        "choices": choices,
    }
    if usage is not None:
        chunk["usage"] = usage
    return f"data: {json.dumps(chunk)}\n\n".encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultServer


class FaultServer:
    """Context manager; ``url`` is ``http://127.0.0.1:PORT/v1``."""

    def __init__(self, script: Iterable[Action] = (), default: Action | None = None) -> None:
        self._script: list[Action] = [tuple(a) for a in script]
        self.default = tuple(default) if default is not None else ("exhausted",)
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- script ------------------------------------------------------------------

    def push(self, *actions: Action) -> None:
        with self._lock:
            self._script.extend(tuple(a) for a in actions)

    def _next_action(self) -> Action:
        with self._lock:
            return self._script.pop(0) if self._script else self.default

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def gaps(self) -> list[float]:
        """Seconds between consecutive requests, by the server's receive times."""
        times = [r.received for r in self.requests]
        return [times[i + 1] - times[i] for i in range(len(times) - 1)]

    # -- lifecycle -----------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FaultServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
