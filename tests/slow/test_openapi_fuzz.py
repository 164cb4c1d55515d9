"""schemathesis over /openapi.json against the running gateway, with a valid token.

App routes get every check: no 5xx, every response matches the documented status codes,
headers, content type and schema, every request the schema allows is accepted and every
request it forbids is refused. The other routes (webhooks, internal, media) take no app token,
so they get the response checks only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lib.config import Settings
from tests.conftest import MakeUser

CONFIG = Path(__file__).with_name("schemathesis.toml")
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


@pytest.mark.parametrize("scope", [APP_ROUTE_ARGS, OTHER_ROUTE_ARGS], ids=["app-routes", "other-routes"])
def test_fuzzing_the_documented_api_finds_no_server_error_and_no_schema_break(
    config: Settings, make_user: MakeUser, tmp_path: Path, scope: list[str]
) -> None:
    user = make_user()
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            f"--config-file={CONFIG}",
            "run",
            f"{config.gateway_url}/openapi.json",
            *scope,
            "--header",
            f"Authorization: Bearer {user.token}",
            # Deleting the account would leave the rest of the run with a dead token.
            "--exclude-operation-id=me_delete",
            "--seed=1",
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
