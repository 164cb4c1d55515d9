"""A representative request for each entry point of the route table, as its callers send it:
the app (Firebase ID token), Stripe (signed event), Identity Platform (blocking-function JWT),
Cloud Scheduler and Cloud Tasks (loopback locally)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lib.config import settings
from lib.routing import Route

# Bodies that make a request succeed, by "METHOD path" (API.md); others send `{}`.
BODIES: dict[str, dict[str, Any]] = {
    "PATCH /v1/me": {"display_name": "Bench User"},
    "PUT /v1/reminder": {"enabled": True, "local_time": "08:30", "timezone": "Europe/Paris"},
    "PUT /v1/devices/{installation_id}": {"platform": "android"},
}


@dataclass(frozen=True)
class BenchUser:
    uid: str
    email: str
    token: str


@dataclass(frozen=True)
class Probe:
    route: Route
    method: str
    path: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def representative_route(routes: Sequence[Route]) -> Route:
    """The entry point's read if it has one (the typical request), else its first route."""
    return next((r for r in routes if r.method == "GET"), routes[0])


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def blocking_jwt(user: BenchUser, event_type: str) -> str:
    """An unsigned Identity Platform blocking-function token, as the Auth emulator sends one."""
    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{settings().google_cloud_project}",
        "aud": "run.app",
        "iat": now,
        "exp": now + 300,
        "sub": user.uid,
        "event_id": uuid.uuid4().hex,
        "event_type": event_type,
        "ip_address": "127.0.0.1",
        "user_agent": "bench",
        "locale": "en",
        "sign_in_method": "password",
        "user_record": {
            "uid": user.uid,
            "email": user.email,
            "email_verified": False,
            "disabled": False,
            "metadata": {"creation_time": now * 1000, "last_sign_in_time": now * 1000},
            "provider_data": [],
        },
    }
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def stripe_signature(payload: str, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def probe(route: Route, user: BenchUser) -> Probe:
    path = re.sub(r"\{(\w+)\}", lambda m: f"bench-{m.group(1)}", route.path)
    body = json.dumps(BODIES.get(f"{route.method} {route.path}", {}))
    headers = {"Content-Type": "application/json"}
    if route.auth in ("user", "user_revoked"):
        headers["Authorization"] = f"Bearer {user.token}"
    elif route.auth == "identity_platform":
        event = "beforeSignIn" if "sign" in route.entry_point else "beforeCreate"
        body = json.dumps({"data": {"jwt": blocking_jwt(user, event)}})
    elif route.name == "reminders_send":
        # A send task for the bench user (no device registered: it is claimed and skipped).
        day = time.strftime("%Y-%m-%d", time.gmtime())
        batch = {"batch": f"bench-{uuid.uuid4().hex}", "day": day, "users": [{"uid": user.uid, "local_date": day}]}
        body = json.dumps(batch)
    elif route.auth == "stripe":
        body = json.dumps({"id": f"evt_bench_{uuid.uuid4().hex}", "object": "event", "type": "ping", "data": {}})
        headers["Stripe-Signature"] = stripe_signature(body, settings().stripe_webhook_secret, int(time.time()))
    return Probe(route=route, method=route.method, path=path, body=body, headers=headers)
