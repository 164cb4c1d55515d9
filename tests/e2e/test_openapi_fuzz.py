"""schemathesis over /openapi.json against the running gateway, with a valid token: no 5xx,
and every response matches the documented status codes, content type and schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lib.config import Settings
from tests.conftest import MakeUser

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_fuzzing_the_documented_api_finds_no_server_error_and_no_schema_break(
    config: Settings, make_user: MakeUser, tmp_path: Path
) -> None:
    user = make_user()
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{config.gateway_url}/openapi.json",
            f"--checks={CHECKS}",
            "--header",
            f"Authorization: Bearer {user.token}",
            # Deleting the account would leave the rest of the run with a dead token.
            "--exclude-operation-id=me_delete",
            "--max-examples=15",
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
