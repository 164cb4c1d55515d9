"""The local stack's processes: a function process that dies is started again, and no child
(nor grandchild) outlives a stack killed with SIGKILL, so the next `make run` starts cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from devstack.stack import ROOT, Stack, http_ok
from devstack.units import unit_url
from lib.config import Settings
from tests.support.waiting import wait_for

# A stack of one child that starts a grandchild; it prints every process id of the stack.
KILLED_STACK = """
import pathlib, sys, time
from devstack.stack import Service, Stack
from lib.config import settings

marker = pathlib.Path(sys.argv[1])
grandparent = (
    "import subprocess, sys, time;"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']);"
    "open(sys.argv[1], 'w').close(); time.sleep(600)"
)
argv = [sys.executable, "-c", grandparent, str(marker)]
stack = Stack(settings())
stack.start([Service(name="sleeper", argv=argv, healthy=marker.exists, url="-")])
print(" ".join(map(str, stack.pids())), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_a_killed_function_process_is_started_again_says_so_and_answers(
    stack: Stack, config: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stack.process("reminders-sweep")
    os.killpg(before.pid, signal.SIGKILL)
    wait_for(lambda: stack.process("reminders-sweep").pid != before.pid, "a new reminders-sweep process", 30)
    assert "↻ reminders-sweep died (signal 9); started again" in capsys.readouterr().out
    url = unit_url(config, "reminders-sweep")
    wait_for(http_ok(f"{url}/"), "the new reminders-sweep process to answer", 90)
    answer = requests.post(f"{url}/internal/reminders/sweep", timeout=60)
    assert answer.status_code == 200, answer.text


def test_no_child_or_grandchild_outlives_a_stack_killed_with_sigkill(tmp_path: Path) -> None:
    script = [sys.executable, "-c", KILLED_STACK, str(tmp_path / "started")]
    with subprocess.Popen(script, cwd=ROOT, stdout=subprocess.PIPE, text=True) as owner:
        assert owner.stdout is not None
        pids = [int(pid) for pid in owner.stdout.readline().split()]
        assert len(pids) == 2
        assert all(_alive(pid) for pid in pids)
        owner.kill()
    wait_for(lambda: not any(_alive(pid) for pid in pids), "the stack's child and grandchild to be gone", 30)


def test_batch_work_and_the_stand_ins_only_it_uses_run_at_a_lower_priority_and_the_users_path_does_not(
    stack: Stack,
) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    lowered = min(own + 10, 19)
    expected = {
        "fcm": lowered,
        "tasks": lowered,
        "reminders-send_batch": lowered,
        "reminders-tick": lowered,
        "stripe_webhook-webhook": lowered,
        "stripe_webhook-app_store": lowered,
        "firestore": own,
        "app_store": own,
        "auth": own,
        "gateway": own,
        "auth_hooks-me": own,
        "streaks-streaks": own,
    }
    pids = stack.pids()
    for piece, niceness in expected.items():
        group = stack.process(piece).pid
        members = [pid for pid in pids if _group(pid) == group]
        assert members, piece
        # Every process of the piece: the JVM under gcloud, the workers under a gunicorn master.
        assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in members} == {niceness}, piece


def _group(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None
