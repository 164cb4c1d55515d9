"""`python -m devstack.fcm_server`: a local stand-in for FCM HTTP v1, on settings().fcm_endpoint's port.

It speaks the real protocol (`POST /v1/projects/{project}/messages:send` with FCM's success
body and error bodies), so firebase-admin drives it unchanged. Under `/_local/` (docs/local-stack.md) it
shows every message it accepted and takes fault settings: latency, a per-second rate limit
answered with 429, per-address errors and random 429/503/500 answers.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from devstack.stack import port_of_url
from lib.config import settings

_SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")
_FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"

# (HTTP status, google.rpc status, message) of each FCM ErrorCode, as FCM answers them.
_ERRORS: dict[str, tuple[int, str, str]] = {
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "QUOTA_EXCEEDED": (
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Send messages' and limit 'Send messages per minute'.",
    ),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
}


class Faults(BaseModel):
    """What `PUT /_local/faults` accepts; every field defaults to "no fault"."""

    model_config = ConfigDict(extra="forbid")

    unregistered_tokens: list[str] = Field(default_factory=list)
    invalid_tokens: list[str] = Field(default_factory=list)
    token_errors: dict[str, str] = Field(default_factory=dict)
    # How many times each token_errors entry fires before the address works again (absent: always).
    token_error_counts: dict[str, int] = Field(default_factory=dict)
    rate_429: float = Field(default=0.0, ge=0, le=1)
    rate_503: float = Field(default=0.0, ge=0, le=1)
    rate_500: float = Field(default=0.0, ge=0, le=1)
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    max_per_second: int = Field(default=0, ge=0)
    # None: no Retry-After header, which FCM may leave out. With one, firebase-admin retries a 429
    # within the call itself (urllib3 honours Retry-After), before the batch sees the error.
    retry_after_s: int | None = Field(default=1, ge=0, le=3600)


def error_body(code: str, address_field: str | None = None) -> tuple[int, dict[str, Any]]:
    status, rpc_status, message = _ERRORS[code]
    details: list[dict[str, Any]] = [{"@type": _FCM_ERROR, "errorCode": code}]
    if code == "INVALID_ARGUMENT" and address_field:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": f"message.{address_field}", "description": "Invalid registration token"}],
            }
        )
    return status, {"error": {"code": status, "message": message, "status": rpc_status, "details": details}}


class FcmState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.faults = Faults()
        self.messages: list[dict[str, Any]] = []
        self._second = 0
        self._count = 0
        self._random = random.Random()

    def over_rate(self) -> bool:
        """Counts this request against the current second; True when it is one too many."""
        with self.lock:
            limit = self.faults.max_per_second
            if not limit:
                return False
            second = int(time.monotonic())
            if second != self._second:
                self._second, self._count = second, 0
            self._count += 1
            return self._count > limit

    def fault_for(self, address: str) -> str | None:
        faults = self.faults
        if address in faults.unregistered_tokens:
            return "UNREGISTERED"
        if address in faults.invalid_tokens:
            return "INVALID_ARGUMENT"
        with self.lock:
            if address in faults.token_errors:
                left = faults.token_error_counts.get(address)
                if left is None:
                    return faults.token_errors[address]
                if left > 0:
                    faults.token_error_counts[address] = left - 1
                    return faults.token_errors[address]
            roll = self._random.random()
        for code, rate in (("QUOTA_EXCEEDED", faults.rate_429), ("UNAVAILABLE", faults.rate_503)):
            if roll < rate:
                return code
            roll -= rate
        return "INTERNAL" if roll < faults.rate_500 else None


class FcmHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes; with Nagle on, the second waits for the
    # client's delayed ACK (40 ms on Linux), which FCM does not do.
    disable_nagle_algorithm = True
    server: FcmServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: one line per message would drown the log under load."""

    def _answer(self, status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _json_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_POST(self) -> None:
        match = _SEND_PATH.match(urlsplit(self.path).path)
        if not match:
            self._answer(404, {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}})
            return
        try:
            request = self._json_body()
            message = request["message"]
        except (ValueError, KeyError, TypeError):
            status, body = error_body("INVALID_ARGUMENT")
            self._answer(status, body)
            return
        self._send(match["project"], message, bool(request.get("validate_only")))

    def _send(self, project: str, message: dict[str, Any], validate_only: bool) -> None:
        state = self.server.state
        faults = state.faults
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        address_field = "fid" if "fid" in message else "token" if "token" in message else None
        address = message.get(address_field) if address_field else None
        if not isinstance(address, str) or not address:
            status, body = error_body("INVALID_ARGUMENT")
            body["error"]["message"] = "Recipient of the message is not set."
            self._answer(status, body)
            return
        code = "QUOTA_EXCEEDED" if state.over_rate() else state.fault_for(address)
        if code:
            status, body = error_body(code, address_field)
            header = status in (429, 503) and faults.retry_after_s is not None
            retry = {"Retry-After": str(faults.retry_after_s)} if header else None
            self._answer(status, body, retry)
            return
        name = f"projects/{project}/messages/{uuid.uuid4().hex}"
        if not validate_only:
            with state.lock:
                state.messages.append(
                    {
                        "name": name,
                        "token": address,
                        "addressed_by": address_field,
                        "notification": message.get("notification"),
                        "data": message.get("data"),
                        "received_at": datetime.now(UTC).isoformat(),
                    }
                )
        self._answer(200, {"name": name})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        state = self.server.state
        if url.path == "/_local/messages":
            wanted = parse_qs(url.query).get("token")
            with state.lock:
                found = [m for m in state.messages if not wanted or m["token"] in wanted]
            self._answer(200, {"messages": found})
        elif url.path == "/_local/faults":
            self._answer(200, state.faults.model_dump())
        elif url.path == "/healthz":
            self._answer(200, {"status": "ok"})
        else:
            self._answer(404, {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}})

    def do_PUT(self) -> None:
        if urlsplit(self.path).path != "/_local/faults":
            self._answer(404, {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}})
            return
        try:
            faults = Faults.model_validate(self._json_body())
        except (ValueError, ValidationError) as exc:
            self._answer(400, {"error": {"code": 400, "message": str(exc), "status": "INVALID_ARGUMENT"}})
            return
        self.server.state.faults = faults
        self._answer(200, faults.model_dump())

    def do_DELETE(self) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        if path == "/_local/messages":
            with state.lock:
                state.messages.clear()
            self._answer(204)
        elif path == "/_local/faults":
            state.faults = Faults()
            self._answer(204)
        else:
            self._answer(404, {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}})


class FcmServer(ThreadingHTTPServer):
    daemon_threads = True
    # firebase-admin's send_each opens a connection per message at once; keep them all.
    request_queue_size = 1024

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), FcmHandler)
        self.state = FcmState()


def main() -> None:
    server = FcmServer(port_of_url(settings().fcm_endpoint))
    print(f"local FCM listening on {settings().fcm_endpoint}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
