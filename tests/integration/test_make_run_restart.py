"""`make run` killed with SIGKILL, then started again: the watchdog takes the whole stack down
(JVM, gunicorn workers) and the next `make run` starts on the same ports. Two more stacks, so the
file runs in the slow tier."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from devstack.ports import OFFSETS, stack_environment
from devstack.stack import ROOT, tcp_open
from devstack.units import unit_keys
from lib.config import Settings
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def piece_port(base: int, piece: str) -> int:
    return base + OFFSETS[piece] if piece in OFFSETS else base + 1 + unit_keys().index(piece)


def test_after_make_run_is_killed_with_sigkill_the_next_make_run_starts_cleanly(config: Settings) -> None:
    """`python -m devstack` (what `make run` runs) on ports of its own, SIGKILLed once up, then again."""
    base = config.gateway_port + 200
    env = {**os.environ, **stack_environment(base)}

    def run_until_up() -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("The stack is up"):
                return process
        process.wait()
        raise AssertionError("the stack did not start:\n" + "".join(lines[-30:]))

    first = run_until_up()
    first.kill()
    first.wait()
    assert first.stdout is not None
    first.stdout.close()
    for piece in ("gateway", "firestore", "reminders-tick"):
        answers = tcp_open(f"127.0.0.1:{piece_port(base, piece)}")
        wait_for(lambda answers=answers: not answers(), f"the killed stack's {piece} to be gone", 30)
    second = run_until_up()
    try:
        assert requests.get(f"http://127.0.0.1:{base}/openapi.json", timeout=30).status_code == 200
    finally:
        second.terminate()
        assert second.wait(timeout=120) == 0
        assert second.stdout is not None
        second.stdout.close()
