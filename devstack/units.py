"""The deployed units of the local stack: one `<function>-<entry_point>` per Cloud Function that
Terraform deploys, each served by its own functions-framework process on its own port.

Ports follow the gateway's: unit i (sorted by key) listens on GATEWAY_PORT + 1 + i, so every
client (the gateway, the tests, the benchmarks, the ops CLI) finds a unit without asking the stack.
"""

from __future__ import annotations

import functools
import os
from typing import Literal

from lib import routing
from lib.config import Settings

# Batch work runs at a lower CPU priority, as its own Cloud Run instances would not share a CPU
# with the API's (docs/local-stack.md, "Processes").
BATCH_UNITS = frozenset(
    {"reminders-send_batch", "reminders-tick", "stripe_webhook-webhook", "stripe_webhook-app_store"}
)
BATCH_NICENESS = 10
# The local FCM server and the Cloud Tasks emulator serve only the batch work; in the cloud they
# are Google's services, on none of the app's CPUs, so they yield the CPU as the batch units do.
STAND_IN_NICENESS = BATCH_NICENESS

# units: one process per deployed function (the default); single: every function inside the
# gateway's process, the topology before units, kept to measure what isolation buys (bench.isolation).
Topology = Literal["units", "single"]
TOPOLOGIES: tuple[Topology, ...] = ("units", "single")


def default_topology() -> Topology:
    """DEVSTACK_TOPOLOGY, else units."""
    chosen = os.environ.get("DEVSTACK_TOPOLOGY", "units")
    for topology in TOPOLOGIES:
        if chosen == topology:
            return topology
    raise ValueError(f"DEVSTACK_TOPOLOGY={chosen!r}: choose one of {', '.join(TOPOLOGIES)}")


def unit_key(route: routing.Route) -> str:
    return f"{route.function}-{route.entry_point}"


@functools.cache
def unit_keys() -> tuple[str, ...]:
    return tuple(sorted({unit_key(r) for r in routing.routes() if r.function != "gateway"}))


def unit_port(config: Settings, key: str) -> int:
    return config.gateway_port + 1 + unit_keys().index(key)


def unit_url(config: Settings, key: str) -> str:
    return f"http://127.0.0.1:{unit_port(config, key)}"
