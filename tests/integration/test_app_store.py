"""App Store Server Notifications through the gateway, from the local App Store: each
notification type moves the stored subscription to the state the App Store Server API reports,
each notification takes effect once, and a payload Apple did not sign is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from devstack.app_store_chain import new_chain
from devstack.app_store_state import now_ms
from functions.stripe_webhook import daily_counts
from lib.config import settings
from tests.conftest import AppUser, GatewayClient
from tests.support.app_store import buy, local_store, notification_record, purchase, send, step
from tests.support.payments import entitlement

pytestmark = pytest.mark.usefixtures("stack")


def state_of(original_transaction_id: str) -> str:
    return str(purchase(original_transaction_id)["view"]["state"])


def bought(user: AppUser) -> str:
    answer = buy(user.uid)
    assert answer["delivery_status"] == 200
    return str(answer["original_transaction_id"])


def test_a_purchase_notification_makes_its_buyer_premium(user: AppUser, gateway: GatewayClient) -> None:
    answer = buy(user.uid)
    assert answer["notification_type"] == "SUBSCRIBED"
    assert answer["delivery_status"] == 200
    stored = purchase(answer["original_transaction_id"])
    assert stored["uid"] == user.uid
    assert stored["view"]["state"] == "active"
    assert notification_record(answer["notification_uuid"])["outcome"] == "applied"
    view = gateway.get("/v1/entitlement", headers=user.headers).json()
    assert view["plan"] == "premium"
    assert (entitlement(user.uid) or {})["source"] == "app_store"


@pytest.mark.parametrize(
    ("steps", "state", "plan"),
    [
        ([("renew", {})], "active", "premium"),
        ([("fail_renewal", {"grace": True})], "grace", "premium"),
        ([("fail_renewal", {"grace": False})], "on_hold", "free"),
        ([("fail_renewal", {"grace": True}), ("end_grace", {})], "on_hold", "free"),
        ([("fail_renewal", {"grace": True}), ("renew", {})], "active", "premium"),
        ([("expire", {})], "expired", "free"),
        ([("auto_renew", {"on": False})], "canceled", "premium"),
        ([("auto_renew", {"on": False}), ("auto_renew", {"on": True})], "active", "premium"),
        ([("auto_renew", {"on": False}), ("expire", {})], "expired", "free"),
        ([("refund", {})], "revoked", "free"),
        ([("revoke", {})], "revoked", "free"),
    ],
    ids=[
        "did_renew",
        "did_fail_to_renew_grace_period",
        "did_fail_to_renew",
        "grace_period_expired",
        "did_renew_billing_recovery",
        "expired",
        "did_change_renewal_status_off",
        "did_change_renewal_status_on",
        "expired_voluntary",
        "refund",
        "revoke",
    ],
)
def test_each_notification_records_the_state_apple_reports(
    user: AppUser, gateway: GatewayClient, steps: list[tuple[str, dict[str, Any]]], state: str, plan: str
) -> None:
    original = bought(user)
    for name, body in steps:
        answer = step(original, name, **body)
        assert answer["delivery_status"] == 200, answer
        assert notification_record(answer["notification_uuid"])["outcome"] == "applied"
    assert state_of(original) == state
    assert gateway.get("/v1/entitlement", headers=user.headers).json()["plan"] == plan


def test_grace_is_recorded_until_apples_grace_end(user: AppUser) -> None:
    original = bought(user)
    step(original, "fail_renewal", grace=True)
    view = purchase(original)["view"]
    expires, grace = view["expires_at"].timestamp(), view["grace_until"].timestamp()
    assert grace - expires == pytest.approx(16 * 24 * 3600, abs=1)


def test_a_test_notification_is_recorded_and_changes_nothing() -> None:
    answer = local_store("/notifications/test")
    assert answer["delivery_status"] == 200
    record = notification_record(answer["notification_uuid"])
    assert record["outcome"] == "ignored"
    assert record["applied"] == 1


def test_a_duplicate_notification_is_acknowledged_applied_once_and_counted(user: AppUser) -> None:
    original = bought(user)
    renewal = step(original, "renew")
    duplicates = daily_counts.totals(datetime.now(UTC).date())["duplicate"]
    assert send(renewal["notification_uuid"]) == 200
    assert send(renewal["notification_uuid"]) == 200
    assert notification_record(renewal["notification_uuid"])["applied"] == 1
    assert daily_counts.totals(datetime.now(UTC).date())["duplicate"] >= duplicates + 2


def test_notifications_out_of_order_leave_the_latest_state(user: AppUser) -> None:
    original = bought(user)
    failed = step(original, "fail_renewal", grace=False, deliver=False)
    renewed = step(original, "renew", deliver=False)
    assert send(renewed["notification_uuid"]) == 200
    assert send(failed["notification_uuid"]) == 200  # the older one, late
    assert state_of(original) == "active"
    assert notification_record(failed["notification_uuid"])["applied"] == 1


def test_a_notification_before_the_account_token_is_known_is_stored_unbound() -> None:
    answer = buy(None)
    stored = purchase(answer["original_transaction_id"])
    assert stored["uid"] is None
    assert stored["view"]["state"] == "active"
    assert notification_record(answer["notification_uuid"])["outcome"] == "orphaned"


def _forged_payload(chain_name: str) -> str:
    """A notification as the local App Store would send it, signed by another chain."""
    config = settings()
    payload = {
        "notificationType": "SUBSCRIBED",
        "subtype": "INITIAL_BUY",
        "notificationUUID": str(uuid.uuid4()),
        "version": "2.0",
        "signedDate": now_ms(),
        "data": {
            "appAppleId": config.app_store_app_apple_id,
            "bundleId": config.app_store_bundle_id,
            "environment": config.app_store_environment,
        },
    }
    return new_chain(chain_name).sign(payload)


def test_a_payload_signed_by_another_chain_is_refused_and_not_recorded(gateway: GatewayClient) -> None:
    signed = _forged_payload("Not Apple")
    response = gateway.post("/app-store/notifications", json={"signedPayload": signed})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "app_store/invalid-signature"
    assert notification_record(jwt.decode(signed, options={"verify_signature": False})["notificationUUID"]) == {}


def test_a_payload_whose_signature_was_altered_is_refused_and_not_recorded(
    gateway: GatewayClient, user: AppUser
) -> None:
    answer = buy(user.uid, deliver=False)
    header, payload, signature = answer["signed_payload"].split(".")
    altered = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    response = gateway.post("/app-store/notifications", json={"signedPayload": f"{header}.{payload}.{altered}"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "app_store/invalid-signature"
    assert notification_record(answer["notification_uuid"]) == {}
    assert purchase(answer["original_transaction_id"]) == {}


def test_a_body_without_a_signed_payload_is_refused(gateway: GatewayClient) -> None:
    response = gateway.post("/app-store/notifications", json={"payload": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid-argument"
