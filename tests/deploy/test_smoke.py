"""deploy.smoke against a fake API and Identity Toolkit served on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from deploy import smoke

TOKEN = "id-token-of-smoke-user"


@dataclass
class Behaviour:
    webhook_unsigned_status: int = 400
    me_with_token_status: int = 200
    internal_routed: bool = False


class FakeApi(BaseHTTPRequestHandler):
    behaviour = Behaviour()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path != "/v1/me":
            self.answer(404, {"error": {"code": "not-found", "message": "no such route"}})
        elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.answer(401, {"error": {"code": "auth/missing-token", "message": "send a token"}})
        elif self.behaviour.me_with_token_status != 200:
            self.answer(401, {"error": {"code": "auth/invalid-id-token", "message": "not valid"}})
        else:
            self.answer(200, {"uid": "smoke-uid", "plan": "free"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path.startswith("/v1/accounts:signInWithPassword?key=web-key"):
            if body == {"email": "smoke@example.com", "password": "pw", "returnSecureToken": True}:
                self.answer(200, {"idToken": TOKEN})
            else:
                self.answer(400, {"error": {"code": 400, "message": "INVALID_LOGIN_CREDENTIALS"}})
        elif self.path == "/stripe/webhook" and "Stripe-Signature" not in self.headers:
            if self.behaviour.webhook_unsigned_status == 400:
                self.answer(400, {"error": {"code": "stripe/invalid-signature", "message": "no signature"}})
            else:
                self.answer(200, {"received": True, "outcome": "processed"})
        elif self.path.startswith("/internal/") and self.behaviour.internal_routed:
            self.answer(401, {"error": {"code": "auth/missing-token", "message": "send a token"}})
        else:
            self.answer(404, {"error": {"code": "not-found", "message": "no such route"}})


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour()
    handler = type("Handler", (FakeApi,), {"behaviour": behaviour})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("SMOKE_USER_EMAIL", "smoke@example.com")
    monkeypatch.setenv("SMOKE_USER_PASSWORD", "pw")
    monkeypatch.setenv("FIREBASE_WEB_API_KEY", "web-key")
    try:
        yield f"http://127.0.0.1:{server.server_port}", behaviour
    finally:
        server.shutdown()
        server.server_close()


def run(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = smoke.main([url, "--identity-toolkit", url, "--attempts", "1", "--delay", "0"])
    return status, capsys.readouterr().out.splitlines()


def test_healthy_api_passes_every_check(api: tuple[str, Behaviour], capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = run(api[0], capsys)
    assert status == 0
    assert lines == [
        "✓ GET /v1/me without a token is refused: 401 auth/missing-token",
        "✓ GET /v1/me as the test user: 200, profile of uid smoke-uid",
        "✓ POST /stripe/webhook unsigned is refused: 400 stripe/invalid-signature",
        "✓ POST /internal/reminders/tick is not routed: 404 not-found",
    ]


def test_webhook_accepting_an_unsigned_call_fails(
    api: tuple[str, Behaviour], capsys: pytest.CaptureFixture[str]
) -> None:
    api[1].webhook_unsigned_status = 200
    status, lines = run(api[0], capsys)
    assert status == 1
    assert lines[2].startswith(
        "✗ POST /stripe/webhook unsigned is refused: expected 400 stripe/invalid-signature, got 200 "
    )


def test_an_internal_route_reachable_through_the_load_balancer_fails(
    api: tuple[str, Behaviour], capsys: pytest.CaptureFixture[str]
) -> None:
    api[1].internal_routed = True
    status, lines = run(api[0], capsys)
    assert status == 1
    assert lines[3] == (
        "✗ POST /internal/reminders/tick is not routed: expected 404 not-found, got 401 auth/missing-token"
    )


def test_authenticated_route_answering_401_fails(
    api: tuple[str, Behaviour], capsys: pytest.CaptureFixture[str]
) -> None:
    api[1].me_with_token_status = 401
    status, lines = run(api[0], capsys)
    assert status == 1
    assert lines[1] == "✗ GET /v1/me as the test user: expected 200 with the profile, got 401 auth/invalid-id-token"


def test_wrong_test_user_password_fails_with_identity_toolkit_reason(
    api: tuple[str, Behaviour], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMOKE_USER_PASSWORD", "wrong")
    status, lines = run(api[0], capsys)
    assert status == 1
    assert lines[1] == "✗ GET /v1/me as the test user: the test user cannot sign in: 400 INVALID_LOGIN_CREDENTIALS"


def test_missing_credentials_fail_rather_than_skip(
    api: tuple[str, Behaviour], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMOKE_USER_PASSWORD")
    status, lines = run(api[0], capsys)
    assert status == 1
    assert lines[1] == "✗ GET /v1/me as the test user: SMOKE_USER_PASSWORD not set"


def test_api_that_does_not_answer_fails_after_its_attempts(capsys: pytest.CaptureFixture[str]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    url = f"http://127.0.0.1:{server.server_port}"
    server.server_close()
    status, lines = run(url, capsys)
    assert status == 1
    assert lines[0].startswith("✗ GET /v1/me without a token is refused: ConnectionError")
    assert lines[0].endswith("(after 1 attempts)")
