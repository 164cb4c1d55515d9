"""functions/stripe_webhook/entitlement: what a customer's subscriptions grant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from functions.stripe_webhook.entitlement import current_subscription, entitlement_from, period_end
from lib.entitlements import plan_from


def sub(sub_id: str, status: str, created: int, *ends: int) -> dict[str, Any]:
    return {
        "id": sub_id,
        "status": status,
        "created": created,
        "items": {"data": [{"current_period_end": end} for end in ends]},
    }


def test_active_subscription_beats_a_newer_cancelled_one() -> None:
    chosen = current_subscription([sub("old", "active", 100, 900), sub("new", "canceled", 200, 950)])
    assert chosen is not None
    assert chosen["id"] == "old"


def test_newest_subscription_wins_between_equal_statuses() -> None:
    chosen = current_subscription([sub("a", "canceled", 100), sub("b", "canceled", 300), sub("c", "canceled", 200)])
    assert chosen is not None
    assert chosen["id"] == "b"


def test_period_end_is_the_latest_item_period_end() -> None:
    assert period_end(sub("s", "active", 1, 1_700_000_000, 1_800_000_000)) == datetime.fromtimestamp(1_800_000_000, UTC)


def test_period_end_is_none_without_items() -> None:
    assert period_end({"id": "s", "status": "active"}) is None


def test_active_subscription_grants_the_plan() -> None:
    entitlement = entitlement_from("cus_1", [sub("s", "active", 1, 1_800_000_000)], "premium")
    assert (entitlement.plan, entitlement.status, entitlement.subscription_id) == ("premium", "active", "s")
    assert plan_from(entitlement.model_dump()) == "premium"


def test_past_due_subscription_grants_free() -> None:
    entitlement = entitlement_from("cus_1", [sub("s", "past_due", 1, 1_800_000_000)], "premium")
    assert entitlement.plan == "free"
    assert plan_from(entitlement.model_dump()) == "free"


def test_no_subscription_is_free_with_status_none() -> None:
    entitlement = entitlement_from("cus_1", [], "premium")
    assert (entitlement.plan, entitlement.status, entitlement.current_period_end) == ("free", "none", None)
