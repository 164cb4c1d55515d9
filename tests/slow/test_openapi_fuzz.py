"""schemathesis over /openapi.json against the running gateway, with a valid token.

App routes get every check: no 5xx, every response matches the documented status codes,
headers, content type and schema, every request the schema allows is accepted and every
request it forbids is refused. The other routes (webhooks, internal, media) take no app token,
so they get the response checks only. The app routes run under three seeds: each draws other
data, and a schema-valid request the server refuses shows under one seed and not another."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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


# Each run has its own user, so its own rate-limit bucket: the runs go side by side rather than
# queueing behind one bucket's sustained rate.
RUNS = {
    "app-routes-seed-1": (APP_ROUTE_ARGS, 1),
    "app-routes-seed-2": (APP_ROUTE_ARGS, 2),
    "app-routes-seed-3": (APP_ROUTE_ARGS, 3),
    "other-routes": (OTHER_ROUTE_ARGS, 1),
}


def _fuzz(gateway_url: str, token: str, scope: list[str], seed: int, workdir: Path) -> subprocess.CompletedProcess[str]:
    workdir.mkdir()
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{gateway_url}/openapi.json",
            *scope,
            "--header",
            f"Authorization: Bearer {token}",
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
        cwd=workdir,
        check=False,
    )


def test_fuzzing_the_documented_api_finds_no_server_error_and_no_schema_break(
    config: Settings, make_user: MakeUser, tmp_path: Path
) -> None:
    tokens = {name: make_user().token for name in RUNS}
    with ThreadPoolExecutor(max_workers=len(RUNS)) as pool:
        runs = {
            name: pool.submit(_fuzz, config.gateway_url, tokens[name], scope, seed, tmp_path / name)
            for name, (scope, seed) in RUNS.items()
        }
        results = {name: run.result() for name, run in runs.items()}
    failed = {name: r.stdout[-6000:] + r.stderr[-2000:] for name, r in results.items() if r.returncode != 0}
    assert not failed, "\n\n".join(f"== {name} ==\n{output}" for name, output in failed.items())
