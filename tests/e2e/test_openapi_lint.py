"""The served /openapi.json passes `redocly lint` (recommended rules, redocly.yaml) with no
error and no warning: every rule the config turns down carries its reason there."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import GatewayClient

ROOT = Path(__file__).resolve().parents[2]
REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"


def test_the_served_document_passes_redocly_lint_without_errors_or_warnings(
    gateway: GatewayClient, tmp_path: Path
) -> None:
    served = gateway.get("/openapi.json")
    assert served.status_code == 200
    document = tmp_path / "openapi.json"
    document.write_bytes(served.content)
    result = subprocess.run(
        [str(REDOCLY), "lint", str(document), f"--config={ROOT / 'redocly.yaml'}", "--format=json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
        env={**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"},
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, report["problems"]
