"""Unsigned JWTs shaped like those the Auth emulator issues (ID tokens) and sends to
blocking functions. firebase-admin and identity_fn accept them only against the emulator."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

BEFORE_CREATE = "providers/cloud.auth/eventTypes/user.beforeCreate"
BEFORE_SIGN_IN = "providers/cloud.auth/eventTypes/user.beforeSignIn"


def _b64(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned_jwt(claims: Mapping[str, Any] | object, header: Mapping[str, str] | None = None) -> str:
    return f"{_b64(header or {'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def issuer(project: str) -> str:
    return f"https://securetoken.google.com/{project}"


def id_token(uid: str, project: str, *, issued_s_ago: int, lifetime_s: int) -> str:
    """An ID token for `uid` with chosen times (e.g. one that has already expired)."""
    issued = int(time.time()) - issued_s_ago
    claims = {
        "iss": issuer(project),
        "aud": project,
        "auth_time": issued,
        "user_id": uid,
        "sub": uid,
        "iat": issued,
        "exp": issued + lifetime_s,
        "firebase": {"identities": {}, "sign_in_provider": "password"},
    }
    return unsigned_jwt(claims)


def blocking_token(
    uid: str,
    email: str,
    event_type: str,
    project: str,
    *,
    disabled: bool = False,
    audience: str = "run.app",
    custom_claims: dict[str, Any] | None = None,
) -> str:
    """The JWT Identity Platform posts to a blocking function, as `{"data": {"jwt": ...}}`; its
    audience is the URI the trigger is registered at."""
    now = int(time.time())
    claims = {
        "iss": issuer(project),
        "aud": audience,
        "sub": uid,
        "iat": now,
        "exp": now + 300,
        "event_id": uuid.uuid4().hex,
        "event_type": event_type,
        "ip_address": "127.0.0.1",
        "user_agent": "local",
        "locale": "en",
        "sign_in_method": "password",
        "user_record": {
            "uid": uid,
            "email": email,
            "email_verified": False,
            "display_name": "Blocked Or Not",
            "disabled": disabled,
            "metadata": {"creation_time": now * 1000, "last_sign_in_time": now * 1000},
            "provider_data": [],
            **({"custom_claims": custom_claims} if custom_claims is not None else {}),
        },
    }
    return unsigned_jwt(claims)
