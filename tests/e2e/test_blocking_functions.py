"""Identity Platform's blocking calls, in the contract firebase-functions' identity_fn parses.

Against the Auth emulator the blocking JWT is unsigned, as the emulator sends it; the
payload is the one Identity Platform sends.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from devstack import emulator_tokens
from lib import firestore as db
from tests.conftest import GatewayClient


def blocking_body(
    event_type: str, uid: str, email: str, *, disabled: bool = False, custom_claims: dict[str, Any] | None = None
) -> dict[str, object]:
    token = emulator_tokens.blocking_token(
        uid, email, event_type, "demo-wellness", disabled=disabled, custom_claims=custom_claims
    )
    return {"data": {"jwt": token}}


def test_before_create_creates_the_profile(gateway: GatewayClient) -> None:
    uid = f"bc-{uuid.uuid4().hex[:10]}"
    response = gateway.post(
        "/internal/auth/before-create", json=blocking_body(emulator_tokens.BEFORE_CREATE, uid, f"{uid}@example.com")
    )
    assert response.status_code == 200, response.text
    profile = db.client().collection("users").document(uid).get().to_dict()
    assert profile is not None
    assert (profile["email"], profile["timezone"]) == (f"{uid}@example.com", "UTC")


def test_before_create_rejects_a_blocked_domain(gateway: GatewayClient) -> None:
    uid = f"bc-{uuid.uuid4().hex[:10]}"
    response = gateway.post(
        "/internal/auth/before-create", json=blocking_body(emulator_tokens.BEFORE_CREATE, uid, "x@mailinator.com")
    )
    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"
    assert not db.client().collection("users").document(uid).get().exists


def test_before_sign_in_refreshes_the_plan_claim(gateway: GatewayClient) -> None:
    uid = f"bs-{uuid.uuid4().hex[:10]}"
    db.client().collection("entitlements").document(uid).set({"plan": "premium", "status": "active"})
    response = gateway.post(
        "/internal/auth/before-sign-in", json=blocking_body(emulator_tokens.BEFORE_SIGN_IN, uid, f"{uid}@example.com")
    )
    assert response.status_code == 200, response.text
    record = response.json()["userRecord"]
    assert record["customClaims"]["plan"] == "premium"
    assert record["customClaims"]["billing"]["state"] == "none"
    assert "customClaims" in record["updateMask"]


def test_before_sign_in_keeps_the_users_other_claims(gateway: GatewayClient) -> None:
    """Identity Platform replaces the user's custom claims with the answer's (its updateMask names
    customClaims), so the answer carries every claim: the billing claim and any other survive."""
    uid = f"bs-{uuid.uuid4().hex[:10]}"
    db.client().collection("entitlements").document(uid).set(
        {"plan": "premium", "status": "trialing", "state": "trialing"}
    )
    held = {"plan": "free", "billing": {"state": "none"}, "beta_tester": True}
    body = blocking_body(emulator_tokens.BEFORE_SIGN_IN, uid, f"{uid}@example.com", custom_claims=held)
    response = gateway.post("/internal/auth/before-sign-in", json=body)
    assert response.status_code == 200, response.text
    claims = response.json()["userRecord"]["customClaims"]
    assert (claims["plan"], claims["billing"]["state"], claims["beta_tester"]) == ("premium", "trialing", True)


def test_before_sign_in_rejects_a_disabled_account(gateway: GatewayClient) -> None:
    uid = f"bs-{uuid.uuid4().hex[:10]}"
    body = blocking_body(emulator_tokens.BEFORE_SIGN_IN, uid, f"{uid}@example.com", disabled=True)
    response = gateway.post("/internal/auth/before-sign-in", json=body)
    assert response.status_code == 403


ISSUER = emulator_tokens.issuer("demo-wellness")


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"jwt": "garbage"}},
        {"data": {"jwt": "0.0."}},
        {"data": {"jwt": emulator_tokens.unsigned_jwt({"iss": "x"})}},
        {"data": {"jwt": emulator_tokens.unsigned_jwt({"iss": ISSUER, "sub": "u"})}},
        {"data": {}},
        {"jwt": "a.b.c"},
        {},
    ],
)
def test_a_malformed_blocking_call_is_400(gateway: GatewayClient, body: object) -> None:
    response = gateway.post("/internal/auth/before-create", json=body)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid-argument")
