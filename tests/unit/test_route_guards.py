"""Every route of the table is guarded as its `auth` says, by `serve` itself: each deployed
entry point is built from its functions/<f>/main.py and called without a token, with a garbage
token, and (for `user_revoked`) with a valid token against an Auth server that records the
revocation lookup."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import flask
import pytest

from devstack.emulator_tokens import id_token
from lib import firestore, routing
from tests.support.json_server import JsonServer, json_server
from tests.support.terraform import ROOT

ROUTES = [r for r in routing.routes() if r.function != "gateway"]
USER_ROUTES = [r for r in ROUTES if r.auth in ("user", "user_revoked")]
INTERNAL_ROUTES = [r for r in ROUTES if r.auth == "internal"]
SELF_VERIFIED = [r for r in ROUTES if r.auth in ("stripe", "identity_platform")]
OPEN_ROUTES = [r for r in ROUTES if r.auth == "none"]


def _client(route: routing.Route, remote_addr: str = "127.0.0.1") -> flask.testing.FlaskClient:
    entry = getattr(importlib.import_module(f"functions.{route.function}.main"), route.entry_point)
    app = flask.Flask(route.name)
    app.add_url_rule("/<path:path>", "entry", lambda path: entry(flask.request), methods=[route.method])
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote_addr
    return client


def _path(route: routing.Route) -> str:
    return re.sub(r"\{\w+\*?\}", "some-id", route.path)


@pytest.fixture
def firestore_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def client() -> object:
        calls.append("client")
        raise AssertionError("handler code ran")

    monkeypatch.setattr(firestore, "client", client)
    return calls


def test_the_table_has_routes_of_each_guarded_kind() -> None:
    assert USER_ROUTES
    assert INTERNAL_ROUTES
    assert SELF_VERIFIED
    assert {r.auth for r in ROUTES} <= {"user", "user_revoked", "internal", "stripe", "identity_platform", "none"}


@pytest.mark.parametrize("route", USER_ROUTES, ids=lambda r: r.name)
def test_a_user_route_without_a_token_is_401_missing_token(route: routing.Route, firestore_calls: list[str]) -> None:
    answer = _client(route).open(_path(route), method=route.method, json={})
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (401, "auth/missing-token")
    assert answer.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert firestore_calls == []


@pytest.mark.parametrize("route", USER_ROUTES, ids=lambda r: r.name)
def test_a_user_route_with_a_garbage_token_is_401_invalid_id_token(
    route: routing.Route, firestore_calls: list[str]
) -> None:
    answer = _client(route).open(
        _path(route), method=route.method, json={}, headers={"Authorization": "Bearer not-a-token"}
    )
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (401, "auth/invalid-id-token")
    assert firestore_calls == []


@pytest.mark.parametrize("route", INTERNAL_ROUTES, ids=lambda r: r.name)
def test_an_internal_route_refuses_a_caller_off_the_local_machine(
    route: routing.Route, firestore_calls: list[str]
) -> None:
    answer = _client(route, remote_addr="10.1.2.3").open(_path(route), method=route.method, json={})
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "permission-denied")
    assert firestore_calls == []


@pytest.mark.parametrize("route", SELF_VERIFIED, ids=lambda r: r.name)
def test_a_self_verified_route_gets_no_token_check_from_serve(route: routing.Route) -> None:
    """Its handler checks the Stripe signature or the blocking-function call itself: 400, not 401."""
    answer = _client(route, remote_addr="10.1.2.3").open(_path(route), method=route.method, data=b"")
    assert answer.status_code == 400
    assert not answer.get_json()["error"]["code"].startswith("auth/")


@pytest.mark.parametrize("kind", ["cdn_signature", "bearer", ""])
def test_a_route_whose_auth_serve_does_not_know_fails_at_serve(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tuple(dataclasses.replace(r, auth=kind) if r.name == "streak_get" else r for r in routing.routes())
    monkeypatch.setattr(routing, "routes", lambda: table)
    with pytest.raises(ValueError, match="streak_get"):
        routing.serve("streaks", "streaks", {"checkin_create": lambda r, c: {}, "streak_get": lambda r, c: {}})


PROBE = """
import importlib, json, re, sys
import flask
app = flask.Flask("probe")
for name, function, entry_point, method, path in json.loads(sys.argv[2]):
    entry = getattr(importlib.import_module(f"functions.{function}.main"), entry_point)
    with app.test_request_context(path, method=method, headers={"Authorization": "Bearer " + sys.argv[1]}, json={}):
        answer = entry(flask.request)
    print(json.dumps({"route": name, "status": answer.status_code, "body": answer.get_json()}), flush=True)
"""


@pytest.fixture
def recording_auth() -> Iterator[JsonServer]:
    """Auth's accounts:lookup, answering that the account is disabled."""
    with json_server(200, {"users": [{"localId": "uid-1", "disabled": True}]}) as served:
        yield served


def test_every_user_revoked_route_asks_auth_about_revocation(recording_auth: JsonServer) -> None:
    host, lookups = recording_auth.address, recording_auth.requests
    revoked = [r for r in USER_ROUTES if r.auth == "user_revoked"]
    rows = [[r.name, r.function, r.entry_point, r.method, _path(r)] for r in revoked]
    token = id_token("uid-1", "demo-wellness", issued_s_ago=10, lifetime_s=3600)
    env = {**os.environ, "FIREBASE_AUTH_EMULATOR_HOST": host, "GOOGLE_CLOUD_PROJECT": "demo-wellness"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, token, json.dumps(rows)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"route"')]
    assert [a["route"] for a in answers] == [r.name for r in revoked]
    for answer in answers:
        code = (answer["body"] or {}).get("error", {}).get("code")
        assert (answer["status"], code) == (403, "auth/user-disabled"), answer
    assert len(lookups) == len(revoked)
    assert all("accounts:lookup" in path for path in lookups)


@pytest.mark.parametrize("route", OPEN_ROUTES, ids=lambda r: r.name)
def test_an_open_route_answers_without_a_token(route: routing.Route) -> None:
    """/healthz: the uptime check sends no token; without a stack its dependencies do not answer."""
    answer = _client(route, remote_addr="10.1.2.3").open(_path(route), method=route.method)
    assert answer.status_code in (200, 503)
    assert set(answer.get_json()) == {"status", "firestore", "auth"}
