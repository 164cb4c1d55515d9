"""The gateway forwards to a function's process as the load balancer does: over a kept-alive
connection, with X-Forwarded-For and X-Cloud-Trace-Context, and a JSON 503 while it is down."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from werkzeug.test import Client

from gateway.app import Gateway
from gateway.upstream import Upstreams
from lib.config import settings

TRACE = "105445aa7843bc8bf206b12000100000/1;o=1"


@contextmanager
def recording_function() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in function process speaking HTTP/1.1; yields its URL and what it was sent."""
    seen: list[dict[str, Any]] = []

    class Answer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append({"client_port": self.client_address[1], "headers": dict(self.headers), "body": body})
            payload = b'{"ok": true}'
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _gateway(url: str) -> Client:
    return Client(Gateway(settings(), {}, Upstreams({"streaks-streaks": url}).app))


def test_forwarding_keeps_the_connection_and_passes_trace_and_forwarded_for() -> None:
    with recording_function() as (url, seen):
        client = _gateway(url)
        headers = {"X-Cloud-Trace-Context": TRACE, "X-Forwarded-For": "203.0.113.9", "Connection": "close"}
        for _ in range(2):
            answer = client.post(
                "/v1/checkins?x=1", json={"a": 1}, headers=headers, environ_base={"REMOTE_ADDR": "198.51.100.7"}
            )
            assert (answer.status_code, answer.json) == (201, {"ok": True})
    assert seen[0]["client_port"] == seen[1]["client_port"]
    assert seen[0]["headers"]["X-Cloud-Trace-Context"] == TRACE
    assert seen[0]["headers"]["X-Forwarded-For"] == "203.0.113.9, 198.51.100.7"
    assert seen[0]["body"] == b'{"a": 1}'


def test_a_function_that_is_down_answers_json_503_with_retry_after() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    answer = _gateway(closed).post("/v1/checkins", json={})
    assert (answer.status_code, answer.json["error"]["code"]) == (503, "unavailable")
    assert answer.headers["Retry-After"]


def test_an_oversized_body_is_413_before_any_forwarding() -> None:
    with recording_function() as (url, seen):
        answer = _gateway(url).post("/v1/checkins", data=b"x" * (settings().max_request_bytes + 1))
    assert answer.status_code == 413
    assert seen == []
