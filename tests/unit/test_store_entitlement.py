"""functions/stripe_webhook/entitlement for store purchases: the store rows of the state table in
docs/payments.md, one test per row, and the one entitlement over Stripe and the stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.stripe_webhook.entitlement import (
    Entitlement,
    State,
    entitlement_from,
    entitlement_over,
    store_entitlement,
    store_verdict_of,
)
from functions.stripe_webhook.store_subscription import Store, StoreState, StoreSubscription
from lib.entitlements import billing_claim, plan_from, source_of

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
DAY = timedelta(days=1)
T = int(NOW.timestamp())


def purchase(state: StoreState = StoreState.ACTIVE, **fields: Any) -> StoreSubscription:
    values: dict[str, Any] = {
        "store": Store.APP_STORE,
        "purchase_id": "1000000001",
        "account_token": None,
        "product_id": "premium.monthly",
        "state": state,
        "expires_at": NOW + 20 * DAY,
        "grace_until": None,
        "environment": "Sandbox",
    }
    return StoreSubscription(**(values | fields))


def stored(entitlement: Entitlement) -> dict[str, Any]:
    """The entitlement as the document holds it: enums by value."""
    return {k: getattr(v, "value", v) for k, v in entitlement.model_dump().items()}


def stripe(status: str, **fields: Any) -> Entitlement:
    """Stripe's view of one subscription in `status`, its period ending in 27 days."""
    subscription = {
        "id": f"sub_{status}",
        "customer": "cus_1",
        "status": status,
        "created": T - 10 * 86400,
        "cancel_at_period_end": False,
        "trial_start": None,
        "trial_end": None,
        "items": {"data": [{"current_period_start": T - 3 * 86400, "current_period_end": T + 27 * 86400}]},
        **fields,
    }
    return entitlement_from("cus_1", [subscription], "premium", now=NOW, grace=timedelta(days=7))


def over(stripe_view: Entitlement | None, *purchases: StoreSubscription, now: datetime = NOW) -> Entitlement:
    return entitlement_over(stripe_view, purchases, "premium", now)


# One test per store row of the state table.


def test_active_grants_access_until_the_period_end_the_store_gave() -> None:
    got = store_entitlement(purchase(StoreState.ACTIVE), "premium", NOW)
    assert (got.plan, got.state, got.access_until, got.source) == (
        "premium",
        StoreState.ACTIVE,
        NOW + 20 * DAY,
        Store.APP_STORE,
    )
    assert plan_from(stored(got), now=NOW) == "premium"
    assert plan_from(stored(got), now=NOW + 21 * DAY) == "free"


def test_canceled_grants_access_until_expires_at_and_not_after() -> None:
    view = purchase(StoreState.CANCELED, expires_at=NOW + 3 * DAY)
    got = store_entitlement(view, "premium", NOW)
    assert (got.plan, got.access_until, got.cancel_at_period_end) == ("premium", NOW + 3 * DAY, True)
    assert store_entitlement(view, "premium", NOW + 4 * DAY).plan == "free"


def test_grace_grants_access_until_grace_until() -> None:
    view = purchase(StoreState.GRACE, expires_at=NOW - DAY, grace_until=NOW + 5 * DAY)
    got = store_entitlement(view, "premium", NOW)
    assert (got.plan, got.access_until, got.grace_until) == ("premium", NOW + 5 * DAY, NOW + 5 * DAY)
    assert plan_from(stored(got), now=NOW + 6 * DAY) == "free"
    assert store_entitlement(view, "premium", NOW + 6 * DAY).plan == "free"


@pytest.mark.parametrize(
    "state",
    [StoreState.ON_HOLD, StoreState.PAUSED, StoreState.PENDING, StoreState.EXPIRED, StoreState.REVOKED],
)
def test_on_hold_paused_pending_expired_and_revoked_grant_nothing(state: StoreState) -> None:
    got = store_entitlement(purchase(state), "premium", NOW)
    assert (got.plan, got.state, got.access_until) == ("free", state, None)
    # Even a document that kept the plan grants nothing in a state that cannot grant.
    assert plan_from(stored(got) | {"plan": "premium"}, now=NOW) == "free"


@pytest.mark.parametrize("state", [StoreState.ACTIVE, StoreState.CANCELED, StoreState.GRACE])
def test_a_stored_end_in_the_past_grants_nothing_whatever_the_state(state: StoreState) -> None:
    """A late notification carrying an old view must not extend access."""
    view = purchase(state, expires_at=NOW - DAY, grace_until=NOW - DAY if state is StoreState.GRACE else None)
    assert store_verdict_of(view, NOW).access is False
    assert store_entitlement(view, "premium", NOW).plan == "free"


# One entitlement over all sources.


def test_with_no_store_purchase_stripe_decides_exactly_as_before() -> None:
    for status in ("active", "past_due", "canceled", "trialing"):
        alone = stripe(status)
        assert over(alone) == alone


def test_a_store_purchase_grants_a_user_without_stripe() -> None:
    got = over(None, purchase())
    assert (got.plan, got.source, got.subscription_id, got.customer_id) == (
        "premium",
        Store.APP_STORE,
        "1000000001",
        None,
    )
    assert source_of(stored(got)) == "app_store"
    assert billing_claim(stored(got))["source"] == "app_store"


def test_nothing_anywhere_is_free_with_no_source() -> None:
    got = over(None)
    assert (got.plan, got.state) == ("free", State.NONE)
    assert source_of(stored(got)) == "none"


def test_store_access_wins_over_a_canceled_stripe_subscription() -> None:
    got = over(stripe("canceled"), purchase(store=Store.GOOGLE_PLAY, purchase_id="tok"))
    assert (got.plan, got.source, got.customer_id) == ("premium", Store.GOOGLE_PLAY, "cus_1")


def test_an_ended_store_purchase_never_takes_stripe_access_away() -> None:
    got = over(stripe("active"), purchase(StoreState.EXPIRED), purchase(StoreState.REVOKED, purchase_id="2"))
    assert (got.plan, got.source, got.state) == ("premium", Store.STRIPE, State.ACTIVE)


def test_the_access_that_lasts_longest_decides() -> None:
    # Stripe's active subscription has no foreseen end: it outlasts any store period.
    assert over(stripe("active"), purchase()).source is Store.STRIPE
    # Stripe's grace ends in 4 days, the store's period in 20: the store decides, and its end holds.
    got = over(stripe("past_due"), purchase())
    assert (got.source, got.access_until) == (Store.APP_STORE, NOW + 20 * DAY)
    # Between stores too.
    short = purchase(StoreState.CANCELED, expires_at=NOW + 2 * DAY)
    longer = purchase(store=Store.GOOGLE_PLAY, purchase_id="tok", expires_at=NOW + 9 * DAY)
    assert over(None, short, longer).source is Store.GOOGLE_PLAY


def test_an_expired_view_stored_as_active_does_not_win_over_a_granting_one() -> None:
    stale = purchase(StoreState.ACTIVE, expires_at=NOW - DAY)
    got = over(None, stale, purchase(StoreState.CANCELED, purchase_id="2", expires_at=NOW + DAY))
    assert (got.plan, got.subscription_id) == ("premium", "2")


def test_without_access_a_source_with_a_subscription_is_shown_over_none() -> None:
    got = over(entitlement_from("cus_1", [], "premium", now=NOW, grace=timedelta(days=7)), purchase(StoreState.ON_HOLD))
    assert (got.plan, got.state, got.source) == ("free", StoreState.ON_HOLD, Store.APP_STORE)


def test_paying_in_two_stores_counts_two_live_subscriptions() -> None:
    got = over(None, purchase(), purchase(store=Store.GOOGLE_PLAY, purchase_id="tok"))
    assert (got.plan, got.live_subscriptions) == ("premium", 2)


def test_paying_in_stripe_and_a_store_counts_two_live_subscriptions() -> None:
    assert over(stripe("active"), purchase(StoreState.GRACE, grace_until=NOW + DAY)).live_subscriptions == 2


def test_ended_or_canceled_store_purchases_are_not_live() -> None:
    ended = [purchase(s, purchase_id=s.value) for s in (StoreState.CANCELED, StoreState.EXPIRED, StoreState.REVOKED)]
    assert over(stripe("active"), *ended).live_subscriptions == 1


def test_a_store_state_grants_only_in_its_own_rows_not_by_a_stripe_status_of_the_same_name() -> None:
    # Stripe's "canceled" grants nothing; a store's "canceled" grants until the period's end.
    assert plan_from({"plan": "premium", "status": "canceled", "state": "canceled", "source": "stripe"}) == "free"
    store_doc = {"plan": "premium", "status": "canceled", "state": "canceled", "source": "google_play"}
    assert plan_from(store_doc | {"access_until": NOW + DAY}, now=NOW) == "premium"
