"""A token check that Auth itself refuses (the function's account lacks firebaseauth.users.get)
answers 503 `unavailable` with an ERROR line naming it, never a 500 nor a 401.

The real firebase-admin talks to a small server that answers accounts:lookup the way Google
does when the caller lacks the permission; the function runs in its own interpreter so its
Auth client points at that server from the start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from devstack.emulator_tokens import id_token
from tests.support.json_server import json_server
from tests.support.terraform import ROOT

DENIED = {
    "error": {
        "code": 403,
        "message": "Caller does not have required permission to use project wellness-prod.",
        "status": "PERMISSION_DENIED",
    }
}

PROBE = """
import json, sys
import flask
from functions.streaks.main import streaks
app = flask.Flask("probe")
app.add_url_rule("/<path:path>", view_func=lambda path: streaks(flask.request), methods=["GET"])
answer = app.test_client().get("/v1/streak", headers={"Authorization": "Bearer " + sys.argv[1]})
print(json.dumps({"status": answer.status_code, "body": answer.get_json()}))
"""


@pytest.fixture
def auth_that_refuses() -> Iterator[str]:
    with json_server(403, DENIED) as served:
        yield served.address


def test_auth_refusing_the_revocation_check_is_503_and_an_error_line(auth_that_refuses: str) -> None:
    token = id_token("uid-1", "demo-wellness", issued_s_ago=10, lifetime_s=3600)
    env = {**os.environ, "FIREBASE_AUTH_EMULATOR_HOST": auth_that_refuses, "GOOGLE_CLOUD_PROJECT": "demo-wellness"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, token], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    answer = lines[-1]
    assert answer["status"] == 503
    assert answer["body"]["error"]["code"] == "unavailable"
    refused = [e for e in lines[:-1] if e.get("message") == "Auth refused the token check"]
    assert refused
    assert refused[0]["severity"] == "ERROR"
    assert refused[0]["error"] == "PermissionDeniedError"
