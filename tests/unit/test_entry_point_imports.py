"""Entry points load only the SDKs their requests use (cold start, issue 9)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("google.cloud.tasks_v2", "firebase_admin.messaging", "httpx", "stripe")


def loaded_after_import(module: str) -> set[str]:
    """Which of HEAVY a fresh interpreter holds after importing `module`."""
    code = f"import sys, json, {module}; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("functions.reminders.main", set()),
        ("functions.reminders.tick", {"google.cloud.tasks_v2"}),
        ("functions.reminders.delivery", {"firebase_admin.messaging", "httpx"}),
        ("functions.reminders.sweep", set()),
        ("functions.reminders.devices", set()),
        ("functions.stripe_webhook.main", set()),
        ("functions.stripe_webhook.entitlement_view", set()),
    ],
)
def test_a_module_loads_no_sdk_it_does_not_use(module: str, allowed: set[str]) -> None:
    assert loaded_after_import(module) <= allowed
