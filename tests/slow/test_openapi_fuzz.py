"""schemathesis over /openapi.json against the running gateway, with a valid token.

App routes get every check: no 5xx, every response matches the documented status codes,
headers, content type and schema, every request the schema allows is accepted and every
request it forbids is refused. The other routes (webhooks, internal, media) take no app token,
so they get the response checks only. The app routes run under three seeds: each draws other
data, and a schema-valid request the server refuses shows under one seed and not another."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lib.config import Settings
from tests.conftest import MakeUser

APP_ROUTES = "^/v1/"
APP_ROUTE_ARGS = [
    "--checks=all",
    f"--include-path-regex={APP_ROUTES}",
    "--max-examples=30",
    # One token, so one rate-limit key: stay at the app routes' sustained rate.
    "--rate-limit=10/s",
]
OTHER_ROUTE_ARGS = [
    "--checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
    f"--exclude-path-regex={APP_ROUTES}",
    "--max-examples=15",
]


@pytest.mark.parametrize(
    ("scope", "seed"),
    [(APP_ROUTE_ARGS, 1), (APP_ROUTE_ARGS, 2), (APP_ROUTE_ARGS, 3), (OTHER_ROUTE_ARGS, 1)],
    ids=["app-routes-seed-1", "app-routes-seed-2", "app-routes-seed-3", "other-routes"],
)
def test_fuzzing_the_documented_api_finds_no_server_error_and_no_schema_break(
    config: Settings, make_user: MakeUser, tmp_path: Path, scope: list[str], seed: int
) -> None:
    user = make_user()
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{config.gateway_url}/openapi.json",
            *scope,
            "--header",
            f"Authorization: Bearer {user.token}",
            # Deleting the account would leave the rest of the run with a dead token.
            "--exclude-operation-id=me_delete",
            f"--seed={seed}",
            "--request-timeout=30",
            "--generation-database=none",
            "--phases=examples,fuzzing",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
