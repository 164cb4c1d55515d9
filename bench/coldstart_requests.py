"""A representative request for each entry point of the route table, as its callers send it:
the app (Firebase ID token), Stripe (signed event), Identity Platform (blocking-function JWT),
Cloud Scheduler and Cloud Tasks (loopback locally)."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack import emulator_tokens
from devstack.accounts import SignedInUser
from devstack.stripe_webhooks import signature_header
from lib.config import settings
from lib.routing import Route

# Bodies that make a request succeed, by "METHOD path" (docs/api.md); others send `{}`.
BODIES: dict[str, dict[str, Any]] = {
    "PATCH /v1/me": {"display_name": "Bench User"},
    "PUT /v1/reminder": {"enabled": True, "local_time": "08:30", "timezone": "Europe/Paris"},
    "PUT /v1/devices/{installation_id}": {"platform": "android"},
}


@dataclass(frozen=True)
class Probe:
    route: Route
    method: str
    path: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def spec(self, *, monolith: bool, root: Path) -> dict[str, Any]:
        """What bench.coldstart_probe takes: which app to build and the request to send it."""
        return {
            "monolith": monolith,
            "entry_point": self.route.entry_point,
            "source": str(root / "functions" / self.route.function / "main.py"),
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body,
        }


def representative_route(routes: Sequence[Route]) -> Route:
    """The entry point's read if it has one (the typical request), else its first route."""
    return next((r for r in routes if r.method == "GET"), routes[0])


def probe(route: Route, user: SignedInUser) -> Probe:
    path = re.sub(r"\{(\w+)\}", lambda m: f"bench-{m.group(1)}", route.path)
    body = json.dumps(BODIES.get(f"{route.method} {route.path}", {}))
    headers = {"Content-Type": "application/json"}
    if route.auth in ("user", "user_revoked"):
        headers["Authorization"] = f"Bearer {user.token}"
    elif route.auth == "identity_platform":
        event = emulator_tokens.BEFORE_SIGN_IN if "sign" in route.entry_point else emulator_tokens.BEFORE_CREATE
        jwt = emulator_tokens.blocking_token(user.uid, user.email, event, settings().google_cloud_project)
        body = json.dumps({"data": {"jwt": jwt}})
    elif route.name == "reminders_send":
        # A send task for the bench user (no device registered: it is claimed and skipped).
        day = time.strftime("%Y-%m-%d", time.gmtime())
        batch = {"batch": f"bench-{uuid.uuid4().hex}", "day": day, "users": [{"uid": user.uid, "local_date": day}]}
        body = json.dumps(batch)
    elif route.auth == "stripe":
        body = json.dumps({"id": f"evt_bench_{uuid.uuid4().hex}", "object": "event", "type": "ping", "data": {}})
        headers["Stripe-Signature"] = signature_header(body, [settings().stripe_webhook_secret], int(time.time()))
    return Probe(route=route, method=route.method, path=path, body=body, headers=headers)
