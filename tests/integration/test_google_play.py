"""Google Play through the stack: the local Google Play pushes each real-time developer
notification as Pub/Sub does (an OIDC token of its local issuer) to the gateway, the function
asks the local Play Developer API through google-api-python-client, records the purchase and
acknowledges it. Each test buys its own purchase for its own user."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.stripe_webhook import daily_counts
from lib.config import settings
from lib.oidc import LOCAL_PUSH_ACCOUNT
from tests.conftest import AppUser, GatewayClient
from tests.support import google_play as play
from tests.support.oidc import oidc_token

ACKNOWLEDGED = "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED"
PENDING_ACK = "ACKNOWLEDGEMENT_STATE_PENDING"


def _ok(delivery: dict[str, Any], outcome: str = "applied") -> None:
    assert (delivery["status"], delivery["body"]) == (200, {"received": True, "outcome": outcome}), delivery


@pytest.fixture
def bought(gateway: GatewayClient, user: AppUser) -> dict[str, Any]:
    """A purchase by `user` whose SUBSCRIPTION_PURCHASED notification was processed."""
    purchase = play.buy(play.account_id(gateway, user))
    _ok(purchase["delivery"])
    return purchase


def test_a_purchase_notification_grants_premium_and_the_purchase_is_acknowledged(
    bought: dict[str, Any], user: AppUser
) -> None:
    token = bought["purchase_token"]
    assert play.purchase(token)["acknowledgementState"] == ACKNOWLEDGED
    assert (play.stored_uid(token), play.stored_state(token)) == (user.uid, "active")
    entitlement = play.entitlement(user.uid)
    assert (entitlement["plan"], entitlement["source"]) == ("premium", "google_play")


# Each step from an active purchase: the notification Google sends, the state recorded, the plan.
STEPS = [
    ("renew", 2, "active", "premium"),
    ("grace", 6, "grace", "premium"),
    ("hold", 5, "on_hold", "free"),
    ("pause", 10, "paused", "free"),
    ("cancel", 3, "canceled", "premium"),
    ("expire", 13, "expired", "free"),
    ("revoke", 12, "revoked", "free"),
    ("refund", 12, "revoked", "free"),  # a voided purchase notification
]


@pytest.mark.parametrize(("action", "kind", "state", "plan"), STEPS, ids=[s[0] for s in STEPS])
def test_each_notification_records_the_state_google_reports(
    bought: dict[str, Any], user: AppUser, action: str, kind: int, state: str, plan: str
) -> None:
    token = bought["purchase_token"]
    moved = play.move(token, action)
    assert moved["notification_type"] == kind
    _ok(moved["delivery"])
    assert play.stored_state(token) == state
    assert play.entitlement(user.uid)["plan"] == plan


@pytest.mark.parametrize(
    ("first", "then", "kind"), [("grace", "renew", 1), ("hold", "renew", 1), ("cancel", "restart", 7)]
)
def test_a_recovered_or_restarted_subscription_grants_premium_again(
    bought: dict[str, Any], user: AppUser, first: str, then: str, kind: int
) -> None:
    token = bought["purchase_token"]
    _ok(play.move(token, first)["delivery"])
    moved = play.move(token, then)
    assert moved["notification_type"] == kind
    _ok(moved["delivery"])
    assert play.stored_state(token) == "active"
    assert play.entitlement(user.uid)["plan"] == "premium"


def test_a_pending_purchase_grants_nothing_until_paid_and_is_acknowledged_then(
    gateway: GatewayClient, user: AppUser
) -> None:
    token = play.buy(play.account_id(gateway, user), pending=True)["purchase_token"]
    report = gateway.post(
        "/v1/billing/store-purchases", headers=user.headers, json={"store": "google_play", "purchase_id": token}
    )
    assert report.status_code == 200, report.text
    assert report.json()["plan"] == "free"
    assert play.stored_state(token) == "pending"
    assert play.purchase(token)["acknowledgementState"] == PENDING_ACK
    paid = play.move(token, "complete_pending")
    assert paid["notification_type"] == 4
    _ok(paid["delivery"])
    assert play.purchase(token)["acknowledgementState"] == ACKNOWLEDGED
    assert play.entitlement(user.uid)["plan"] == "premium"


def test_a_pending_purchase_canceled_before_payment_records_it_expired(gateway: GatewayClient, user: AppUser) -> None:
    token = play.buy(play.account_id(gateway, user), pending=True)["purchase_token"]
    canceled = play.move(token, "cancel_pending")
    assert canceled["notification_type"] == 20
    _ok(canceled["delivery"])
    assert play.stored_state(token) == "expired"
    assert play.entitlement(user.uid).get("plan", "free") == "free"


def test_a_test_notification_is_recorded_and_changes_nothing() -> None:
    delivery = play.local("POST", "/_local/test_notification")["delivery"]
    _ok(delivery, "ignored")
    record = play.notification_record(delivery["message_id"]) or {}
    assert (record.get("status"), record.get("outcome")) == ("completed", "ignored")


# --- exactly once -------------------------------------------------------------------------------


def test_a_duplicate_delivery_is_acknowledged_processed_once_and_counted(bought: dict[str, Any]) -> None:
    message_id = bought["delivery"]["message_id"]
    today = datetime.now(UTC).date()
    before = daily_counts.totals(today)["duplicate"]
    _ok(play.push_again(message_id), "duplicate")
    _ok(play.push_again(message_id), "duplicate")
    assert play.applied(message_id) == 1
    assert daily_counts.totals(today)["duplicate"] >= before + 2


def test_deliveries_out_of_order_record_googles_latest_state_once_each(gateway: GatewayClient, user: AppUser) -> None:
    purchased = play.buy(play.account_id(gateway, user), deliver=False)
    token = purchased["purchase_token"]
    canceled = play.move(token, "cancel", deliver=False)["delivery"]["message_id"]
    expired = play.move(token, "expire", deliver=False)["delivery"]["message_id"]
    order = [expired, purchased["delivery"]["message_id"], canceled]
    deliveries = play.local("POST", "/_local/notifications/replay", json={"message_ids": order})["deliveries"]
    assert [(d["status"], d["body"]["outcome"]) for d in deliveries] == [(200, "applied")] * 3
    assert play.stored_state(token) == "expired"
    assert play.entitlement(user.uid).get("plan", "free") == "free"
    assert [play.applied(m) for m in order] == [1, 1, 1]
    replayed = play.local("POST", "/_local/notifications/replay", json={"message_ids": order})["deliveries"]
    assert [d["body"]["outcome"] for d in replayed] == ["duplicate"] * 3


def test_an_upgrade_replaces_the_purchase_it_links(
    gateway: GatewayClient, user: AppUser, bought: dict[str, Any]
) -> None:
    old = bought["purchase_token"]
    upgraded = play.local(
        "POST",
        "/_local/purchases",
        json={"obfuscated_account_id": play.account_id(gateway, user), "linked_purchase_token": old},
    )
    _ok(upgraded["delivery"])
    assert (play.view(old) or {}).get("superseded") is True
    entitlement = play.entitlement(user.uid)
    assert (entitlement["plan"], entitlement["subscription_id"]) == ("premium", upgraded["purchase_token"])


@pytest.fixture
def play_unavailable() -> Iterator[None]:
    play.local("PUT", "/_local/faults", json={"unavailable": True})
    try:
        yield
    finally:
        play.local("PUT", "/_local/faults", json={"unavailable": False})


def test_while_google_play_does_not_answer_a_push_is_retried_and_nothing_is_lost(
    gateway: GatewayClient, user: AppUser
) -> None:
    purchase = play.buy(play.account_id(gateway, user), deliver=False)
    message_id = purchase["delivery"]["message_id"]
    play.local("PUT", "/_local/faults", json={"unavailable": True})
    try:
        refused = play.push_again(message_id)
    finally:
        play.local("PUT", "/_local/faults", json={"unavailable": False})
    assert (refused["status"], refused["body"]["error"]["code"]) == (503, "unavailable")
    assert play.stored_state(purchase["purchase_token"]) is None
    _ok(play.push_again(message_id))
    assert play.applied(message_id) == 1


def test_a_report_while_google_play_does_not_answer_is_503_with_retry_after(
    gateway: GatewayClient, user: AppUser, play_unavailable: None
) -> None:
    token = play.buy(play.account_id(gateway, user), deliver=False)["purchase_token"]
    answer = _report(gateway, user, token)
    assert (answer.status_code, answer.json()["error"]["code"]) == (503, "unavailable")
    assert answer.headers["Retry-After"]


# --- the push's token ---------------------------------------------------------------------------


def _refused_tokens() -> dict[str, tuple[str | None, int, str]]:
    audience = f"{settings().gateway_url}{play.NOTIFICATIONS}"
    return {
        "none": (None, 401, "auth/missing-token"),
        "another issuer's key": (oidc_token(audience, LOCAL_PUSH_ACCOUNT), 401, "auth/invalid-oidc-token"),
        "another audience": (
            play.issuer_token("https://elsewhere.example", LOCAL_PUSH_ACCOUNT),
            401,
            "auth/invalid-oidc-token",
        ),
        "another account": (
            play.issuer_token(audience, "someone@example.iam.gserviceaccount.com"),
            403,
            "auth/caller-not-allowed",
        ),
    }


@pytest.mark.parametrize("case", ["none", "another issuer's key", "another audience", "another account"])
def test_a_push_without_a_valid_token_is_refused_and_nothing_is_recorded(
    gateway: GatewayClient, user: AppUser, case: str
) -> None:
    purchase = play.buy(play.account_id(gateway, user), deliver=False)
    message_id = purchase["delivery"]["message_id"]
    token, status, code = _refused_tokens()[case]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = gateway.post(play.NOTIFICATIONS, json=play.push_body(message_id), headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert play.notification_record(message_id) is None
    assert play.view(purchase["purchase_token"]) is None
    assert play.purchase(purchase["purchase_token"])["acknowledgementState"] == PENDING_ACK


def test_a_push_that_is_not_a_play_notification_is_refused_as_invalid(gateway: GatewayClient) -> None:
    audience = f"{settings().gateway_url}{play.NOTIFICATIONS}"
    headers = {"Authorization": f"Bearer {play.issuer_token(audience, LOCAL_PUSH_ACCOUNT)}"}
    answer = gateway.post(
        play.NOTIFICATIONS, json={"message": {"data": "not base64!", "messageId": "1"}}, headers=headers
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid-argument")


# --- acknowledgement and Google's three-day refund ---------------------------------------------


def test_google_refunds_a_purchase_left_unacknowledged_for_three_days_and_the_user_loses_premium(
    gateway: GatewayClient, user: AppUser, bought: dict[str, Any]
) -> None:
    other = play.buy(play.account_id(gateway, user), deliver=False)["purchase_token"]
    advanced = play.local("POST", "/_local/clock", json={"advance_s": 3 * 86400})
    assert play.purchase(other)["subscriptionState"] == "SUBSCRIPTION_STATE_EXPIRED"
    assert play.purchase(bought["purchase_token"])["subscriptionState"] == "SUBSCRIPTION_STATE_ACTIVE"
    assert advanced["refunds"]
    assert all(r["status"] == 200 for r in advanced["refunds"])
    assert play.stored_state(other) == "revoked"
    assert play.entitlement(user.uid)["plan"] == "premium"  # the acknowledged purchase still grants


# --- the app's report ---------------------------------------------------------------------------


def _report(gateway: GatewayClient, user: AppUser, token: str) -> Any:
    return gateway.post(
        "/v1/billing/store-purchases", headers=user.headers, json={"store": "google_play", "purchase_id": token}
    )


def test_a_purchase_reported_before_its_notification_grants_premium_and_is_acknowledged(
    gateway: GatewayClient, user: AppUser
) -> None:
    purchase = play.buy(play.account_id(gateway, user), deliver=False)
    token = purchase["purchase_token"]
    answer = _report(gateway, user, token)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["plan"], answer.json()["source"]) == ("premium", "google_play")
    assert play.purchase(token)["acknowledgementState"] == ACKNOWLEDGED
    _ok(play.push_again(purchase["delivery"]["message_id"]))
    assert play.stored_uid(token) == user.uid


def test_a_purchase_reported_after_its_notification_answers_the_same_entitlement(
    gateway: GatewayClient, user: AppUser, bought: dict[str, Any]
) -> None:
    answer = _report(gateway, user, bought["purchase_token"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["plan"] == "premium"


def test_a_purchase_without_an_account_id_is_bound_by_the_apps_report(gateway: GatewayClient, user: AppUser) -> None:
    purchase = play.buy(None)
    _ok(purchase["delivery"], "orphaned")
    token = purchase["purchase_token"]
    assert play.stored_uid(token) is None
    answer = _report(gateway, user, token)
    assert answer.status_code == 200, answer.text
    assert answer.json()["plan"] == "premium"


def test_another_users_report_of_a_purchase_is_refused(
    gateway: GatewayClient, make_user: Any, bought: dict[str, Any]
) -> None:
    answer = _report(gateway, make_user("Someone Else"), bought["purchase_token"])
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "billing/purchase-owned")


def test_a_report_of_a_token_google_does_not_know_is_not_found(gateway: GatewayClient, user: AppUser) -> None:
    answer = _report(gateway, user, "no-such-purchase-token")
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "not-found")
