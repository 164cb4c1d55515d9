"""The ports the tests' own stack uses, so `make test` can run beside `make run`.

TEST_PORT_BASE (default 18000) moves them all; each piece keeps its offset (docs/local-stack.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from lib.config import LOCAL_APP_STORE, LOCAL_ENDPOINTS, LOCAL_PROJECT, Settings

OFFSETS = {
    "gateway": 0,
    "firestore": 80,
    "auth": 99,
    "stripe": 111,
    "tasks": 123,
    "fcm": 124,
    "google_play": 125,
    "app_store": 126,
}


def ephemeral_low() -> int:
    """The first port the kernel may give an outgoing connection; a server port at or above it
    can already be held by any client socket on the machine, and then fails to bind at random."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


# The test stack's spread of a tick's sends: short, so a test that ticks at the real time waits
# seconds rather than the minute deployments use (terraform/routes.tf).
TEST_SPREAD_S = 3
# The test stack's lease on a Stripe event in processing: a test that kills the webhook function
# mid-storm waits for the leases of the events it cut short, seconds rather than deployments'
# minute, and still far longer than one event's processing on a loaded machine.
TEST_EVENT_LEASE_S = 15


# A pytest-xdist worker's stack starts this many ports above the previous worker's: a stack and the
# processes its tests start span 526 ports (the production start's).
WORKER_PORT_STEP = 1000


def test_environment() -> dict[str, str]:
    """The environment of the test stack: its ports from TEST_PORT_BASE (default 18000), and in
    pytest-xdist worker `gwN`, N times WORKER_PORT_STEP above it. The same in every process of a
    worker, the test's children included, since they inherit both variables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base = int(os.environ.get("TEST_PORT_BASE", "18000")) + WORKER_PORT_STEP * int(worker.removeprefix("gw"))
    return stack_environment(base) | {
        "REMINDERS_SPREAD_S": str(TEST_SPREAD_S),
        "STRIPE_EVENT_LEASE_S": str(TEST_EVENT_LEASE_S),
    }


def attached_environment(gateway_port: int) -> dict[str, str]:
    """The environment of clients of a stack already running: `make run`'s own ports when
    `gateway_port` is its default, else those of a stack whose ports start at `gateway_port`."""
    if gateway_port != Settings.model_fields["gateway_port"].default:
        return stack_environment(gateway_port)
    endpoints = {name.upper(): value for name, value in {**LOCAL_ENDPOINTS, **LOCAL_APP_STORE}.items()}
    return {
        "ENVIRONMENT": "local",
        "GOOGLE_CLOUD_PROJECT": LOCAL_PROJECT,
        "GATEWAY_PORT": str(gateway_port),
        "FUNCTIONS_EMULATOR": "true",
        **endpoints,
    }


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
        "APP_STORE_API_BASE": f"http://127.0.0.1:{port['app_store']}",
        "GOOGLE_PLAY_API_BASE": f"http://127.0.0.1:{port['google_play']}",
        "FUNCTIONS_EMULATOR": "true",
    }
