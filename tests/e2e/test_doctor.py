"""`wellness-ops doctor` against the local test stack: green on a fresh stack after a tick, red on
the send row when FCM refuses everything, and an unreachable queue is a row, not a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import Result
from typer.testing import CliRunner

from ops.failures import ExitCode
from ops.main import app
from tests.support import ops as ops_support
from tests.support import reminders as reminders_support
from tests.support.reminders import Fcm, World, counters
from tests.support.waiting import wait_for

fcm = reminders_support.fcm
world = reminders_support.world
backend_logger_restored = ops_support.backend_logger_restored
runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def doctor(*args: str) -> Result:
    return runner.invoke(app, ["doctor", *args], catch_exceptions=False)


def row_of(output: str, check: str) -> str:
    return next(line for line in output.splitlines() if f" {check} " in line)


def rows_of(result: Result) -> dict[str, dict[str, Any]]:
    return {row["check"]: row for row in json.loads(result.stdout)}


def test_doctor_is_green_on_a_fresh_stack_after_a_tick(stack: object, fcm: Fcm) -> None:
    # The demo user is left alone: its first reminder belongs to the demo data's own test.
    ticked = runner.invoke(app, ["reminders", "tick"], catch_exceptions=False)
    assert ticked.exit_code == 0, ticked.output
    result = doctor()
    assert result.exit_code == 0, result.output
    assert "✗" not in result.stdout
    for check in ("last tick", "sends", "queue", "webhooks", "firestore rules", "scheduler"):
        assert "✓" in row_of(result.stdout, check), result.stdout
    assert "not checkable locally" in row_of(result.stdout, "firestore rules")


def test_the_send_row_turns_red_when_fcm_refuses_everything(stack: object, fcm: Fcm, world: World) -> None:
    fcm.faults(rate_503=1.0)
    world.add(2)
    ticked = runner.invoke(app, ["reminders", "tick", "--now", world.tick_at.isoformat()], catch_exceptions=False)
    assert ticked.exit_code == 0, ticked.output
    wait_for(lambda: counters(world.day).get("retried", 0) > 0, "a batch handed back")
    result = doctor("--date", world.day.isoformat(), "--json")
    assert result.exit_code == ExitCode.UNHEALTHY, result.output
    sends = rows_of(result)["sends"]
    assert not sends["ok"]
    assert sends["reason"].endswith("FCM accepted none")


def test_an_unreachable_tasks_emulator_is_a_red_queue_row_not_a_traceback(stack: object) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{probe.getsockname()[1]}"
    done = subprocess.run(
        [sys.executable, "-m", "ops", "doctor", "--json"],
        cwd=ROOT,
        env={**os.environ, "CLOUD_TASKS_EMULATOR_HOST": closed},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == ExitCode.UNHEALTHY, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    queue = {row["check"]: row for row in json.loads(done.stdout)}["queue"]
    assert not queue["ok"]
    assert queue["reason"].startswith("Cloud Tasks unreachable")
    assert closed in queue["reason"]
