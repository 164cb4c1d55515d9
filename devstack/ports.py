"""The ports the tests' own stack uses, so `make test` can run beside `make run`.

TEST_PORT_BASE (default 18000) moves them all; each piece keeps its offset (docs/local-stack.md).
"""

from __future__ import annotations

import os
from pathlib import Path

OFFSETS = {"gateway": 0, "firestore": 80, "auth": 99, "stripe": 111, "tasks": 123, "fcm": 124}


def ephemeral_low() -> int:
    """The first port the kernel may give an outgoing connection; a server port at or above it
    can already be held by any client socket on the machine, and then fails to bind at random."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def test_environment() -> dict[str, str]:
    return stack_environment(int(os.environ.get("TEST_PORT_BASE", "18000")))


def stack_environment(base: int) -> dict[str, str]:
    """The environment of a stack whose ports start at `base`."""
    if base + max(OFFSETS.values()) >= (low := ephemeral_low()):
        raise ValueError(f"TEST_PORT_BASE={base} reaches the kernel's ephemeral ports (from {low}); use a lower base")
    port = {name: base + offset for name, offset in OFFSETS.items()}
    return {
        "ENVIRONMENT": "local",
        "GOOGLE_CLOUD_PROJECT": "demo-wellness",
        "GATEWAY_PORT": str(port["gateway"]),
        "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{port['firestore']}",
        "FIREBASE_AUTH_EMULATOR_HOST": f"127.0.0.1:{port['auth']}",
        "CLOUD_TASKS_EMULATOR_HOST": f"127.0.0.1:{port['tasks']}",
        "FCM_ENDPOINT": f"http://127.0.0.1:{port['fcm']}",
        "STRIPE_API_BASE": f"http://127.0.0.1:{port['stripe']}",
        "FUNCTIONS_EMULATOR": "true",
    }
