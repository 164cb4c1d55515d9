"""Route guards that reach a server: each `user_revoked` route asks an Auth server about
revocation (in a fresh interpreter pointed at a recording server), and the open route answers
without a token while its dependencies do not answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from devstack.emulator_tokens import id_token
from lib import routing
from tests.support.entry_points import client_for, sample_path
from tests.support.json_server import JsonServer, json_server
from tests.support.terraform import ROOT

ROUTES = [r for r in routing.routes() if r.function != "gateway"]
USER_ROUTES = [r for r in ROUTES if r.auth in ("user", "user_revoked")]
OPEN_ROUTES = [r for r in ROUTES if r.auth == "none"]

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
    rows = [[r.name, r.function, r.entry_point, r.method, sample_path(r)] for r in revoked]
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
    answer = client_for(route, remote_addr="10.1.2.3").open(sample_path(route), method=route.method)
    assert answer.status_code in (200, 503)
    assert set(answer.get_json()) == {"status", "firestore", "auth"}
