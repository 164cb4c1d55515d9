"""The operator CLI as its own process, without a stack: an unreachable stack and refusals
against production as one line with their exit codes, and what it loads before a command runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack import ports as stack_ports
from ops.failures import ExitCode
from tests.support import start_up

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **environment}
    return subprocess.run(
        [sys.executable, "-m", "ops", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def unused_stack(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a stack nobody runs: the test stack's ports moved by 700."""
    monkeypatch.setenv("TEST_PORT_BASE", str(int(os.environ.get("TEST_PORT_BASE", "18000")) + 700))
    return stack_ports.test_environment()


@pytest.mark.parametrize("args", [["stats"], ["user", "show", "u1"], ["reminders", "tick"], ["billing", "reconcile"]])
def test_an_unreachable_stack_is_one_line_and_exit_4(args: list[str], unused_stack: dict[str, str]) -> None:
    done = run_cli(*args, **unused_stack)
    assert done.returncode == ExitCode.UNREACHABLE, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "is not answering; start the stack with `make run`" in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["seed", "--users", "1"], "seed writes demo users and runs against the local stack only"),
        (["reminders", "tick", "--now", "2026-01-01T08:00:00Z"], "--now is for the local stack only"),
    ],
)
def test_local_only_commands_are_refused_against_production_with_exit_5(args: list[str], message: str) -> None:
    done = run_cli(*args, ENVIRONMENT="production", GOOGLE_CLOUD_PROJECT="some-real-project")
    assert done.returncode == ExitCode.REFUSED, done.stderr
    assert done.stderr.startswith(f"error: {message}")
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_module_runs_as_the_console_script_does() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    assert "Exit codes: 0 ok" in done.stdout


def test_the_cli_loads_no_sdk_before_a_command_runs() -> None:
    """`--help` answers without loading an SDK: each command imports its own when it runs."""
    sdks = {"stripe", "google.cloud.firestore", "google.cloud.tasks_v2", "firebase_admin", "google.api_core"}
    assert sdks.isdisjoint(start_up.modules_loaded_by("ops.main"))
