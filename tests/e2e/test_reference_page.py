"""GET /docs in headless Chromium: Swagger UI renders every operation of the route table from
the served /openapi.json, with nothing loaded from outside the gateway."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from lib import routing
from lib.config import Settings
from tests.conftest import GatewayClient

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Virtual time runs the page's scripts and fetches to completion without waiting on a clock.
    "--virtual-time-budget=30000",
    "--dump-dom",
]


def _rendered(url: str, profile: Path) -> str:
    chromium = shutil.which("chromium")
    assert chromium is not None, "chromium is not installed; `make install` installs it"
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def test_the_reference_page_shows_every_operation_of_the_route_table(
    gateway: GatewayClient, config: Settings, tmp_path: Path
) -> None:
    dom = _rendered(f"{config.gateway_url}/docs", tmp_path / "profile")
    missing = [route.name for route in routing.routes() if f'id="operations-{route.function}-{route.name}"' not in dom]
    assert not missing, dom[-3000:]
