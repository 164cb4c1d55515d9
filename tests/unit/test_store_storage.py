"""The pure parts of store purchase storage: Stripe's view read from an entitlement document
(old and new shapes), the account token, the purchase's document id and stored view."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from functions.stripe_webhook import store_accounts, store_views
from functions.stripe_webhook.entitlement import State, store_verdict_of
from functions.stripe_webhook.entitlement_store import stripe_view_in
from functions.stripe_webhook.store_purchases import Change, change_of
from functions.stripe_webhook.store_subscription import Store, StoreState, StoreSubscription
from lib import errors
from lib.entitlements import STORE_ACCESS_STATES

SYNCED = datetime(2026, 6, 1, tzinfo=UTC)
VIEW = {
    "plan": "premium",
    "status": "active",
    "state": "active",
    "access_until": None,
    "grace_until": None,
    "trial_end": None,
    "cancel_at_period_end": False,
    "current_period_end": None,
    "source": "stripe",
    "customer_id": "cus_1",
    "subscription_id": "sub_1",
    "live_subscriptions": 1,
}


def test_stripes_view_is_read_from_its_own_field_whatever_the_top_level_says() -> None:
    document = {**VIEW, "source": "app_store", "state": "grace", "stripe": {**VIEW, "synced_at": SYNCED}}
    found = stripe_view_in(document)
    assert found is not None
    assert (found[0].state, found[0].subscription_id, found[1]) == (State.ACTIVE, "sub_1", SYNCED)


def test_a_document_written_before_the_stores_is_stripes_view() -> None:
    found = stripe_view_in({**VIEW, "synced_at": SYNCED, "claim_plan": "premium"})
    assert found is not None
    assert (found[0].customer_id, found[1]) == ("cus_1", SYNCED)


def test_an_old_document_missing_later_fields_is_still_stripes_view() -> None:
    found = stripe_view_in({"plan": "premium", "status": "active", "customer_id": "cus_1", "synced_at": SYNCED})
    assert found is not None
    assert (found[0].status, found[0].access_until, found[0].customer_id) == ("active", None, "cus_1")


def test_a_user_who_only_bought_in_a_store_has_no_stripe_view() -> None:
    assert stripe_view_in({**VIEW, "customer_id": None, "stripe": None}) is None
    assert stripe_view_in({}) is None


def test_the_store_states_that_grant_are_the_ones_lib_entitlements_grants() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    granting = {
        state.value
        for state in StoreState
        if store_verdict_of(_purchase(state, expires_at=datetime(2026, 7, 1, tzinfo=UTC)), now).access
    }
    assert granting == STORE_ACCESS_STATES


def test_the_account_token_is_a_uuid_stable_per_user_that_does_not_show_the_uid() -> None:
    token = store_accounts.token_of("user-1")
    assert token == store_accounts.token_of("user-1") != store_accounts.token_of("user-2")
    assert str(uuid.UUID(token)) == token
    assert "user-1" not in token


@pytest.mark.parametrize("token", [None, "", "not-a-uuid", "a/b", str(uuid.uuid4()).upper()])
def test_a_token_that_is_not_one_of_ours_names_nobody_without_a_read(token: str | None) -> None:
    assert store_accounts.uid_of(token) is None


@pytest.mark.parametrize("purchase_id", ["", "a/b", "x" * 1500])
def test_an_id_no_store_issues_is_invalid(purchase_id: str) -> None:
    with pytest.raises(errors.InvalidArgument):
        store_views.doc_id(Store.GOOGLE_PLAY, purchase_id)


def test_a_stored_view_reads_back_as_the_same_subscription() -> None:
    bought = _purchase(StoreState.GRACE, replaces=("old-token",))
    document = {"uid": "u1", "view": store_views.document(bought), "synced_at": SYNCED, "superseded": False}
    stored = store_views.stored_in(document)
    assert (stored.uid, stored.view, stored.synced_at) == ("u1", bought, SYNCED)
    assert document["view"]["state"] == "grace"
    assert store_views.stored_in({"superseded": True}).view is None


def _purchase(state: StoreState, **fields: object) -> StoreSubscription:
    values: dict[str, object] = {
        "store": Store.GOOGLE_PLAY,
        "purchase_id": "token-1",
        "account_token": None,
        "product_id": "premium.monthly",
        "state": state,
        "expires_at": None,
        "grace_until": None,
        "environment": "Production",
    }
    return StoreSubscription.model_validate(values | fields)


def _stored(uid: str | None = None, synced_at: datetime | None = SYNCED) -> store_views.StoredPurchase:
    return store_views.StoredPurchase(uid=uid, view=None, synced_at=synced_at, superseded=False)


LATER = datetime(2026, 6, 2, tzinfo=UTC)
EARLIER = datetime(2026, 5, 31, tzinfo=UTC)


def test_a_newer_view_replaces_the_stored_one_and_keeps_its_owner() -> None:
    assert change_of(_stored("u1"), "u1", None, LATER) == Change(uid="u1", fresh=True)
    assert change_of(_stored(synced_at=None), None, "u2", EARLIER) == Change(uid="u2", fresh=True)


@pytest.mark.parametrize("synced_at", [EARLIER, SYNCED])
def test_a_view_no_newer_than_the_stored_one_is_refused(synced_at: datetime) -> None:
    assert change_of(_stored("u1"), "u1", "u1", synced_at) is None
    assert change_of(_stored(), None, None, synced_at) is None


def test_an_older_view_still_binds_an_unbound_purchase_to_a_known_user() -> None:
    assert change_of(_stored(), None, "u1", EARLIER) == Change(uid="u1", fresh=False)
    assert change_of(_stored(), "u-token", None, EARLIER) == Change(uid="u-token", fresh=False)


def test_the_owner_comes_before_the_reporting_user_and_another_owner_is_a_conflict() -> None:
    assert change_of(_stored(), "u-token", None, LATER) == Change(uid="u-token", fresh=True)
    with pytest.raises(errors.PurchaseOwned) as raised:
        change_of(_stored("u1"), "u1", "u2", LATER)
    assert (raised.value.status, raised.value.code) == (409, "billing/purchase-owned")
