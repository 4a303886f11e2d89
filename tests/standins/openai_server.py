"""A local OpenAI-compatible HTTP server for tests.

Queue replies with `enqueue()`, point a real client at `base_url`, then read back what the
client sent in `requests`. Speaks just enough of the API for the official `openai` client and
`langchain_openai.ChatOpenAI`:

- POST /v1/chat/completions   plain JSON, or server-sent events when `"stream": true`
- POST /v1/embeddings         deterministic 8-dim vectors (float or base64 encoding)
- GET  /v1/models
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EMBEDDING_DIM = 8
STREAM_PIECE_CHARS = 8
DISCONNECT_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


@dataclass(frozen=True)
class QueuedReply:
    text: str
    delay: float = 0.0
    status: int = 200
    pace: float = 0.0


def fake_embedding(text: str) -> list[float]:
    """Deterministic vector for `text`; values are k/128, so they survive float32 exactly."""
    digest = hashlib.sha256(text.encode()).digest()
    return [(byte - 128) / 128 for byte in digest[:EMBEDDING_DIM]]


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1 with a queue of canned chat replies."""

    def __init__(self) -> None:
        self.default_reply = "This is the default reply."
        self.requests: list[dict[str, Any]] = []
        self.base_url = ""
        self._replies: deque[QueuedReply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def enqueue(
        self, text: str, *, delay: float = 0.0, status: int = 200, pace: float = 0.0
    ) -> None:
        """The next chat completion answers `text` (or fails with `status`) after `delay` s;
        streamed, its pieces come `pace` seconds apart."""
        with self._lock:
            self._replies.append(QueuedReply(text, delay, status, pace))

    def start(self) -> FakeOpenAI:
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler, fake=self)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping through a delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _record_and_pop(self, body: dict[str, Any]) -> QueuedReply:
        with self._lock:
            self.requests.append(body)
            return self._replies.popleft() if self._replies else QueuedReply(self.default_reply)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, *, fake: FakeOpenAI) -> None:
        self.fake = fake
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], DISCONNECT_ERRORS):  # hang-ups are normal here
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            model = {"id": "fake", "object": "model", "created": 0, "owned_by": "standins"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_error(404, f"Unknown path {self.path}", "not_found_error")

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._send_error(400, "Request body is not JSON", "invalid_request_error")
        try:
            if self.path == "/v1/chat/completions":
                self._chat(body)
            elif self.path == "/v1/embeddings":
                self._send_json(200, _embeddings_response(body))
            else:
                self._send_error(404, f"Unknown path {self.path}", "not_found_error")
        except DISCONNECT_ERRORS:
            self.close_connection = True

    def _chat(self, body: dict[str, Any]) -> None:
        fake = self.server.fake
        reply = fake._record_and_pop(body)
        if reply.delay and fake._stopping.wait(reply.delay):
            self.close_connection = True
            return
        if reply.status != 200:
            self._send_error(reply.status, reply.text, "server_error")
        elif body.get("stream"):
            self._stream_chat(body, reply.text, reply.pace)
        else:
            self._send_json(200, _completion(body, reply.text))

    def _stream_chat(self, body: dict[str, Any], text: str, pace: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")  # no Content-Length: the body ends at close
        self.end_headers()
        self.close_connection = True
        for chunk in _stream_chunks(body, text):
            if pace and self.server.fake._stopping.wait(pace):
                return
            self._send_event(json.dumps(chunk))
        self._send_event("[DONE]")

    def _send_event(self, data: str) -> None:
        self.wfile.write(f"data: {data}\n\n".encode())
        self.wfile.flush()

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str, kind: str) -> None:
        error = {"message": message, "type": kind, "param": None, "code": None}
        self._send_json(status, {"error": error})


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text, "refusal": None}
    return {
        **_envelope(body, "chat.completion"),
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        "usage": _usage(body, text),
    }


def _stream_chunks(body: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """Role first, then the text in small pieces, then "stop" and, if asked, the usage."""
    envelope = _envelope(body, "chat.completion.chunk")
    with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    pieces = [text[i : i + STREAM_PIECE_CHARS] for i in range(0, len(text), STREAM_PIECE_CHARS)]
    deltas = [{"role": "assistant", "content": ""}] + [{"content": p} for p in pieces]
    finishes = [None] * len(deltas) + ["stop"]
    chunks = [
        {**envelope, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        for delta, finish in zip([*deltas, {}], finishes, strict=True)
    ]
    if with_usage:
        chunks = [{**chunk, "usage": None} for chunk in chunks]
        chunks.append({**envelope, "choices": [], "usage": _usage(body, text)})
    return chunks


def _envelope(body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": kind,
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "system_fingerprint": None,
    }


def _usage(body: dict[str, Any], text: str) -> dict[str, int]:
    """Word counts stand in for tokens: good enough to see that usage arrives."""
    prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    completion = len(text.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _embeddings_response(body: dict[str, Any]) -> dict[str, Any]:
    raw = body.get("input", "")
    texts = [raw] if isinstance(raw, str) else [str(item) for item in raw]
    as_base64 = body.get("encoding_format") == "base64"  # the openai client's default
    data = [
        {"object": "embedding", "index": i, "embedding": _encode(fake_embedding(t), as_base64)}
        for i, t in enumerate(texts)
    ]
    tokens = sum(len(t.split()) for t in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": body.get("model", "fake"), "usage": usage}


def _encode(vector: list[float], as_base64: bool) -> list[float] | str:
    if not as_base64:
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
