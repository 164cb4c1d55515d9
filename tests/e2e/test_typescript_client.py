"""The TypeScript client (clients/typescript): its committed types are what openapi-typescript
makes of the served document, it compiles under `tsc --strict`, and its example flow runs
against the stack with the Firebase JS SDK signed in on the Auth emulator."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from devstack.catalogue import write_items
from lib.config import Settings
from tests.conftest import GatewayClient

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"
BIN = ROOT / "node_modules" / ".bin"


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=300, cwd=cwd, check=False, env={**os.environ, **(env or {})}
    )


def test_the_committed_types_are_generated_from_the_served_document(gateway: GatewayClient, tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    document.write_bytes(gateway.get("/openapi.json").content)
    generated = tmp_path / "schema.d.ts"
    result = _run(["npm", "run", "--silent", "client-types", "--", str(document), "-o", str(generated)], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert generated.read_text() == (CLIENT / "schema.d.ts").read_text(), "run `make client` and commit the result"


def test_the_client_and_its_example_compile_under_tsc_strict() -> None:
    assert json.loads((CLIENT / "tsconfig.json").read_text())["compilerOptions"]["strict"] is True
    result = _run([str(BIN / "tsc"), "-p", str(CLIENT / "tsconfig.json")], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client, its tests and the example as JavaScript, in a folder of their own."""
    out = tmp_path_factory.mktemp("client-js")
    result = _run(
        [str(BIN / "tsc"), "-p", str(CLIENT / "tsconfig.json"), "--noEmit", "false", "--outDir", str(out)], ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_the_client_refreshes_an_expired_token_once_and_waits_retry_after(compiled: Path) -> None:
    result = _run(
        ["node", "--test", str(compiled / "client.test.js")], compiled, {"NODE_PATH": str(ROOT / "node_modules")}
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_example_flow_runs_against_the_stack(gateway: GatewayClient, config: Settings, compiled: Path) -> None:
    write_items()  # the catalogue `make run` shows, with its premium items
    result = _run(
        ["node", str(compiled / "example.js")],
        compiled,
        {
            "NODE_PATH": str(ROOT / "node_modules"),
            "GATEWAY_URL": config.gateway_url,
            "FIREBASE_AUTH_EMULATOR_HOST": config.firebase_auth_emulator_host,
            "GOOGLE_CLOUD_PROJECT": config.google_cloud_project,
        },
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    steps = [json.loads(line)["step"] for line in result.stdout.splitlines() if line.startswith("{")]
    assert steps == [
        "sign-up",
        "profile",
        "check-ins",
        "streak",
        "reminder",
        "device",
        "catalogue",
        "premium-refused",
        "checkout",
        "export",
        "delete",
        "token-refused",
    ]
