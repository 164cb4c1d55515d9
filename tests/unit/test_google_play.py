"""Google Play's answers read as store subscriptions, and its pushes parsed: pure logic."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.stripe_webhook.google_play.notification_models import pushed_notification
from functions.stripe_webhook.google_play.notifications import revoked_token
from functions.stripe_webhook.google_play.subscription_state import (
    UnexpectedSubscription,
    needs_acknowledgement,
    store_subscription,
)
from functions.stripe_webhook.store_subscription import Store, StoreState
from lib import errors

EXPIRY = "2027-01-06T10:57:24.610Z"


def resource(state: str, **extra: Any) -> dict[str, Any]:
    """A subscriptionsv2 resource shaped as Google answers it."""
    return {
        "kind": "androidpublisher#subscriptionPurchaseV2",
        "subscriptionState": f"SUBSCRIPTION_STATE_{state}",
        "acknowledgementState": "ACKNOWLEDGEMENT_STATE_PENDING",
        "lineItems": [{"productId": "premium_monthly", "expiryTime": EXPIRY, "autoRenewingPlan": {}}],
        "externalAccountIdentifiers": {"obfuscatedExternalAccountId": "3f1c2a9e-0000-4000-8000-000000000001"},
        **extra,
    }


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("ACTIVE", StoreState.ACTIVE),
        ("CANCELED", StoreState.CANCELED),
        ("IN_GRACE_PERIOD", StoreState.GRACE),
        ("ON_HOLD", StoreState.ON_HOLD),
        ("PAUSED", StoreState.PAUSED),
        ("PENDING", StoreState.PENDING),
        ("EXPIRED", StoreState.EXPIRED),
        ("PENDING_PURCHASE_CANCELED", StoreState.EXPIRED),
    ],
)
def test_each_subscription_state_has_its_row(state: str, expected: StoreState) -> None:
    assert store_subscription("tok", resource(state)).state is expected


def test_a_subscription_carries_its_token_account_product_and_period_end() -> None:
    subscription = store_subscription("tok", resource("ACTIVE"))
    assert subscription.store is Store.GOOGLE_PLAY
    assert (subscription.purchase_id, subscription.product_id) == ("tok", "premium_monthly")
    assert subscription.account_token == "3f1c2a9e-0000-4000-8000-000000000001"
    assert subscription.expires_at == datetime(2027, 1, 6, 10, 57, 24, 610000, tzinfo=UTC)
    assert (subscription.grace_until, subscription.replaces, subscription.environment) == (None, (), "Production")


def test_in_grace_the_access_lasts_to_the_expiry_google_extended() -> None:
    subscription = store_subscription("tok", resource("IN_GRACE_PERIOD"))
    assert subscription.grace_until == subscription.expires_at == datetime(2027, 1, 6, 10, 57, 24, 610000, tzinfo=UTC)


@pytest.mark.parametrize("state", ["ACTIVE", "EXPIRED", "CANCELED"])
def test_a_revocation_records_the_purchase_revoked_whatever_its_state(state: str) -> None:
    subscription = store_subscription("tok", resource(state), revoked=True)
    assert (subscription.state, subscription.grace_until) == (StoreState.REVOKED, None)


def test_a_linked_purchase_token_is_the_purchase_this_one_replaces() -> None:
    assert store_subscription("new", resource("ACTIVE", linkedPurchaseToken="old")).replaces == ("old",)


def test_a_purchase_without_account_identifiers_names_no_user_and_a_tester_is_test() -> None:
    purchase = resource("ACTIVE", testPurchase={})
    del purchase["externalAccountIdentifiers"]
    subscription = store_subscription("tok", purchase)
    assert (subscription.account_token, subscription.environment) == (None, "Test")


def test_the_line_item_that_ends_last_decides_the_period() -> None:
    items = [{"productId": "addon", "expiryTime": "2026-12-20T00:00:00Z"}, resource("ACTIVE")["lineItems"][0]]
    assert store_subscription("tok", resource("ACTIVE", lineItems=items)).product_id == "premium_monthly"


@pytest.mark.parametrize("purchase", [resource("UNSPECIFIED"), resource("ACTIVE", lineItems=[])])
def test_an_answer_without_a_known_state_or_a_line_item_is_unexpected(purchase: dict[str, Any]) -> None:
    with pytest.raises(UnexpectedSubscription):
        store_subscription("tok", purchase)


@pytest.mark.parametrize(
    ("state", "acknowledgement", "needed"),
    [
        ("ACTIVE", "ACKNOWLEDGEMENT_STATE_PENDING", True),
        ("IN_GRACE_PERIOD", "ACKNOWLEDGEMENT_STATE_PENDING", True),
        ("CANCELED", "ACKNOWLEDGEMENT_STATE_PENDING", True),
        ("ACTIVE", "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED", False),
        ("PENDING", "ACKNOWLEDGEMENT_STATE_PENDING", False),
        ("EXPIRED", "ACKNOWLEDGEMENT_STATE_PENDING", False),
    ],
)
def test_only_a_paid_purchase_not_yet_acknowledged_is_acknowledged(
    state: str, acknowledgement: str, needed: bool
) -> None:
    assert needs_acknowledgement(resource(state, acknowledgementState=acknowledgement)) is needed


def push(notification: dict[str, Any], message_id: str = "136969346945") -> bytes:
    """A push body as Pub/Sub sends it."""
    data = base64.b64encode(json.dumps(notification).encode()).decode()
    message = {"data": data, "messageId": message_id, "publishTime": "2026-12-07T10:00:00.000Z", "attributes": {}}
    return json.dumps({"message": message, "subscription": "projects/p/subscriptions/s"}).encode()


def notification(**kind: Any) -> dict[str, Any]:
    return {"version": "1.0", "packageName": "com.example.app", "eventTimeMillis": "1796641033000", **kind}


def test_a_push_gives_its_message_id_and_notification() -> None:
    sub = {"version": "1.0", "notificationType": 4, "purchaseToken": "tok"}
    message_id, parsed = pushed_notification(push(notification(subscriptionNotification=sub)))
    assert (message_id, parsed.package_name, parsed.kind) == (
        "136969346945",
        "com.example.app",
        "subscription.PURCHASED",
    )
    assert revoked_token(parsed) == ("tok", False)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ({"subscriptionNotification": {"notificationType": 12, "purchaseToken": "tok"}}, ("tok", True)),
        ({"subscriptionNotification": {"notificationType": 99, "purchaseToken": "tok"}}, ("tok", False)),
        ({"voidedPurchaseNotification": {"purchaseToken": "tok", "productType": 1, "refundType": 1}}, ("tok", True)),
        ({"voidedPurchaseNotification": {"purchaseToken": "tok", "productType": 2, "refundType": 1}}, (None, False)),
        ({"testNotification": {"version": "1.0"}}, (None, False)),
        ({"oneTimeProductNotification": {"notificationType": 1, "purchaseToken": "tok", "sku": "x"}}, (None, False)),
    ],
)
def test_which_token_a_notification_names_and_whether_it_was_revoked(
    kind: dict[str, Any], expected: tuple[str | None, bool]
) -> None:
    assert revoked_token(pushed_notification(push(notification(**kind)))[1]) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        json.dumps({"message": {"data": "!!", "messageId": "1"}}).encode(),
        json.dumps({"message": {"data": base64.b64encode(b"[1]").decode(), "messageId": "1"}}).encode(),
        json.dumps({"message": {"data": base64.b64encode(b"{}").decode(), "messageId": ""}}).encode(),
        push({"version": "1.0"}),
    ],
)
def test_a_body_that_is_not_a_push_of_a_play_notification_is_invalid(body: bytes) -> None:
    with pytest.raises(errors.InvalidArgument):
        pushed_notification(body)
