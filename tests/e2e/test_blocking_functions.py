"""Identity Platform's blocking calls, in the contract firebase-functions' identity_fn parses.

Against the Auth emulator the blocking JWT is unsigned, as the emulator sends it; the
payload is the one Identity Platform sends.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from lib import firestore as db
from tests.conftest import GatewayClient

pytestmark = pytest.mark.stack

BEFORE_CREATE = "providers/cloud.auth/eventTypes/user.beforeCreate"
BEFORE_SIGN_IN = "providers/cloud.auth/eventTypes/user.beforeSignIn"


def _b64(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def blocking_body(event_type: str, uid: str, email: str, *, disabled: bool = False) -> dict[str, object]:
    now = int(time.time())
    claims = {
        "iss": "https://securetoken.google.com/demo-wellness",
        "aud": "https://europe-west1-demo-wellness.cloudfunctions.net/auth_hooks-before_create",
        "sub": uid,
        "iat": now,
        "exp": now + 300,
        "event_id": uuid.uuid4().hex,
        "event_type": event_type,
        "ip_address": "127.0.0.1",
        "user_agent": "tests",
        "locale": "en",
        "sign_in_method": "password",
        "user_record": {
            "uid": uid,
            "email": email,
            "display_name": "Blocked Or Not",
            "disabled": disabled,
            "metadata": {"creation_time": now * 1000, "last_sign_in_time": now * 1000},
            "provider_data": [],
        },
    }
    return {"data": {"jwt": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."}}


def test_before_create_creates_the_profile(gateway: GatewayClient) -> None:
    uid = f"bc-{uuid.uuid4().hex[:10]}"
    response = gateway.post(
        "/internal/auth/before-create", json=blocking_body(BEFORE_CREATE, uid, f"{uid}@example.com")
    )
    assert response.status_code == 200, response.text
    profile = db.client().collection("users").document(uid).get().to_dict()
    assert profile is not None
    assert (profile["email"], profile["timezone"]) == (f"{uid}@example.com", "UTC")


def test_before_create_rejects_a_blocked_domain(gateway: GatewayClient) -> None:
    uid = f"bc-{uuid.uuid4().hex[:10]}"
    response = gateway.post("/internal/auth/before-create", json=blocking_body(BEFORE_CREATE, uid, "x@mailinator.com"))
    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"
    assert not db.client().collection("users").document(uid).get().exists


def test_before_sign_in_refreshes_the_plan_claim(gateway: GatewayClient) -> None:
    uid = f"bs-{uuid.uuid4().hex[:10]}"
    db.client().collection("entitlements").document(uid).set({"plan": "premium", "status": "active"})
    response = gateway.post(
        "/internal/auth/before-sign-in", json=blocking_body(BEFORE_SIGN_IN, uid, f"{uid}@example.com")
    )
    assert response.status_code == 200, response.text
    record = response.json()["userRecord"]
    assert record["customClaims"] == {"plan": "premium"}
    assert "customClaims" in record["updateMask"]


def test_before_sign_in_rejects_a_disabled_account(gateway: GatewayClient) -> None:
    uid = f"bs-{uuid.uuid4().hex[:10]}"
    body = blocking_body(BEFORE_SIGN_IN, uid, f"{uid}@example.com", disabled=True)
    response = gateway.post("/internal/auth/before-sign-in", json=body)
    assert response.status_code == 403


UNSIGNED_HEADER = _b64({"alg": "none"})
ISSUER = "https://securetoken.google.com/demo-wellness"


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"jwt": "garbage"}},
        {"data": {"jwt": "0.0."}},
        {"data": {"jwt": f"{UNSIGNED_HEADER}.{_b64({'iss': 'x'})}."}},
        {
            "data": {
                "jwt": f"{UNSIGNED_HEADER}.{_b64({'iss': 'https://securetoken.google.com/demo-wellness', 'sub': 'u'})}."
            }
        },
        {"data": {}},
        {"jwt": "a.b.c"},
        {},
    ],
)
def test_a_malformed_blocking_call_is_400(gateway: GatewayClient, body: object) -> None:
    response = gateway.post("/internal/auth/before-create", json=body)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid-argument")
