"""Store purchases on the emulators: store_purchases.record binding a purchase to its user, the
one entitlement over Stripe (through the local Stripe) and the stores, out-of-order views,
another user's purchase, account deletion and the app's routes."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from firebase_admin import auth as fb_auth

from functions.stripe_webhook import (
    customers,
    entitlement_store,
    purchase_reports,
    reconciliation,
    store_accounts,
    store_purchases,
    store_views,
)
from functions.stripe_webhook.purchase_reports import PurchaseReport
from functions.stripe_webhook.store_purchases import StoreOutcome
from functions.stripe_webhook.store_subscription import Store, StoreState, StoreSubscription
from lib import errors, firebase, tombstones
from tests.conftest import AppUser, GatewayClient
from tests.support.payments import checkout, entitlement, local, stored_view
from tests.support.waiting import wait_for

DAY = timedelta(days=1)


def purchase(state: StoreState = StoreState.ACTIVE, **fields: Any) -> StoreSubscription:
    """A store purchase with a unique id, its period ending in 20 days."""
    values: dict[str, Any] = {
        "store": Store.APP_STORE,
        "purchase_id": uuid.uuid4().hex,
        "account_token": None,
        "product_id": "premium.monthly",
        "state": state,
        "expires_at": datetime.now(UTC) + 20 * DAY,
        "grace_until": None,
        "environment": "LocalTesting",
    }
    return StoreSubscription(**(values | fields))


def stored_purchase(subscription: StoreSubscription) -> dict[str, Any]:
    return store_views.ref(subscription.store, subscription.purchase_id).get().to_dict() or {}


def now() -> datetime:
    return datetime.now(UTC)


def claims_of(uid: str) -> dict[str, Any]:
    return dict(fb_auth.get_user(uid, app=firebase.app()).custom_claims or {})


def test_a_reported_purchase_binds_to_the_caller_and_grants_premium(user: AppUser) -> None:
    bought = purchase()
    assert store_purchases.record(bought, synced_at=now(), caller_uid=user.uid) is StoreOutcome.APPLIED
    assert stored_purchase(bought)["uid"] == user.uid
    stored = entitlement(user.uid) or {}
    assert (stored["plan"], stored["state"], stored["source"], stored["subscription_id"]) == (
        "premium",
        "active",
        "app_store",
        bought.purchase_id,
    )
    claims = claims_of(user.uid)
    assert (claims["plan"], claims["billing"]["source"], claims["billing"]["state"]) == (
        "premium",
        "app_store",
        "active",
    )


def test_a_notification_finds_its_user_by_the_account_token_the_app_set(gateway: GatewayClient, user: AppUser) -> None:
    account = gateway.get("/v1/billing/store-account", headers=user.headers)
    assert account.status_code == 200, account.text
    token = account.json()["app_account_token"]
    assert account.json() == {"app_account_token": token, "obfuscated_account_id": token}
    assert gateway.get("/v1/billing/store-account", headers=user.headers).json()["app_account_token"] == token
    assert store_accounts.uid_of(token) == user.uid
    bought = purchase(store=Store.GOOGLE_PLAY, account_token=token)
    assert store_purchases.record(bought, synced_at=now()) is StoreOutcome.APPLIED
    assert stored_purchase(bought)["uid"] == user.uid
    shown = gateway.get("/v1/entitlement", headers=user.headers).json()
    assert (shown["plan"], shown["source"], shown["state"]) == ("premium", "google_play", "active")


def test_a_purchase_with_no_known_user_is_kept_unbound_until_the_app_reports_it(user: AppUser) -> None:
    bought = purchase(account_token=str(uuid.uuid4()))
    first = now()
    assert store_purchases.record(bought, synced_at=first) is StoreOutcome.ORPHANED
    assert stored_purchase(bought)["uid"] is None
    assert store_purchases.record(bought, synced_at=first + timedelta(seconds=1), caller_uid=user.uid) is (
        StoreOutcome.APPLIED
    )
    assert stored_purchase(bought)["uid"] == user.uid
    assert (entitlement(user.uid) or {})["plan"] == "premium"


def test_a_report_older_than_the_stored_view_still_binds_an_unbound_purchase(user: AppUser) -> None:
    bought = purchase()
    later = now()
    assert store_purchases.record(bought, synced_at=later) is StoreOutcome.ORPHANED
    outcome = store_purchases.record(bought, synced_at=later - timedelta(seconds=5), caller_uid=user.uid)
    assert outcome is StoreOutcome.STALE
    assert stored_purchase(bought)["uid"] == user.uid
    assert (entitlement(user.uid) or {})["plan"] == "premium"


def test_another_users_purchase_is_409_and_stays_with_its_owner(user: AppUser, make_user: Any) -> None:
    other = make_user()
    bought = purchase()
    store_purchases.record(bought, synced_at=now(), caller_uid=user.uid)
    with pytest.raises(errors.PurchaseOwned) as raised:
        store_purchases.record(bought, synced_at=now(), caller_uid=other.uid)
    assert (raised.value.status, raised.value.code) == (409, "billing/purchase-owned")
    assert stored_purchase(bought)["uid"] == user.uid
    assert entitlement(other.uid) is None


def test_a_report_of_a_purchase_whose_token_names_another_user_is_409(
    gateway: GatewayClient, user: AppUser, make_user: Any
) -> None:
    token = gateway.get("/v1/billing/store-account", headers=user.headers).json()["app_account_token"]
    other = make_user()
    with pytest.raises(errors.PurchaseOwned):
        store_purchases.record(purchase(account_token=token), synced_at=now(), caller_uid=other.uid)


def test_an_older_view_never_replaces_a_newer_one(user: AppUser) -> None:
    bought = purchase()
    newer, older = now(), now() - timedelta(minutes=1)
    expired = bought.model_copy(update={"state": StoreState.EXPIRED, "expires_at": now() - DAY})
    assert store_purchases.record(expired, synced_at=newer, caller_uid=user.uid) is StoreOutcome.APPLIED
    assert store_purchases.record(bought, synced_at=older, caller_uid=user.uid) is StoreOutcome.STALE
    assert stored_purchase(bought)["view"]["state"] == "expired"
    stored = entitlement(user.uid) or {}
    assert (stored["plan"], stored["state"]) == ("free", "expired")


def test_a_replaced_purchase_no_longer_counts(user: AppUser) -> None:
    old = purchase(store=Store.GOOGLE_PLAY)
    store_purchases.record(old, synced_at=now(), caller_uid=user.uid)
    upgrade = purchase(store=Store.GOOGLE_PLAY, replaces=(old.purchase_id,))
    store_purchases.record(upgrade, synced_at=now(), caller_uid=user.uid)
    assert stored_purchase(old)["superseded"] is True
    stored = entitlement(user.uid) or {}
    assert (stored["subscription_id"], stored["live_subscriptions"]) == (upgrade.purchase_id, 1)
    # A late view of the replaced purchase keeps it replaced.
    store_purchases.record(old, synced_at=now(), caller_uid=user.uid)
    assert stored_purchase(old)["superseded"] is True
    assert (entitlement(user.uid) or {})["live_subscriptions"] == 1


def test_paying_in_two_stores_is_reported_as_a_duplicate(user: AppUser) -> None:
    store_purchases.record(purchase(), synced_at=now(), caller_uid=user.uid)
    store_purchases.record(purchase(store=Store.GOOGLE_PLAY), synced_at=now(), caller_uid=user.uid)
    assert (entitlement(user.uid) or {})["live_subscriptions"] == 2
    assert user.uid in reconciliation.duplicate_subscribers()


def test_stripe_and_a_store_at_once_neither_erases_the_other(gateway: GatewayClient, user: AppUser) -> None:
    subscription = checkout(gateway, user)["subscription"]
    wait_for(lambda: (e := entitlement(user.uid)) and e.get("status") == "active" and e, "stripe active")
    # A store purchase that ends: Stripe's open-ended access still decides.
    bought = purchase(StoreState.CANCELED, expires_at=now() + 3 * DAY)
    store_purchases.record(bought, synced_at=now(), caller_uid=user.uid)
    stored = entitlement(user.uid) or {}
    assert (stored["plan"], stored["source"], stored["stripe"]["status"]) == ("premium", "stripe", "active")
    # Stripe's cancellation, through its webhook, leaves the store's access.
    local("POST", f"/_local/subscriptions/{subscription['id']}/cancel")
    stored = wait_for(lambda: (e := entitlement(user.uid)) and e["stripe"]["status"] == "canceled" and e, "canceled")
    assert (stored["plan"], stored["source"], stored["subscription_id"]) == ("premium", "app_store", bought.purchase_id)
    assert gateway.get("/v1/entitlement", headers=user.headers).json()["source"] == "app_store"
    # The store's end leaves Stripe's view in place.
    store_purchases.record(
        bought.model_copy(update={"state": StoreState.EXPIRED}), synced_at=now(), caller_uid=user.uid
    )
    stored = entitlement(user.uid) or {}
    assert stored["plan"] == "free"
    assert (stored["stripe"]["status"], stored["stripe"]["customer_id"]) == ("canceled", subscription["customer"])


def test_stripe_views_and_store_purchases_written_at_once_all_count(user: AppUser) -> None:
    customers.ref(user.uid).create({"customer_id": "cus_race"})
    # Each store thread records its purchases one after another, so purchases land while other
    # writers are between their read and their write.
    threads = [[purchase(purchase_id=f"race-{user.uid}-{t}-{n}") for n in range(4)] for t in range(4)]
    stripe_statuses = ["canceled", "active"] * 3
    start = threading.Barrier(len(threads) + 1)

    def record_each(views: list[StoreSubscription]) -> None:
        start.wait(timeout=60)
        for view in views:
            store_purchases.record(view, synced_at=now(), caller_uid=user.uid)

    def write_stripe() -> None:
        start.wait(timeout=60)
        for status in stripe_statuses:
            entitlement_store.write_if_newer(user.uid, stored_view("cus_race", status), now())

    with ThreadPoolExecutor(max_workers=len(threads) + 1) as pool:
        ran = [pool.submit(record_each, views) for views in threads]
        ran.append(pool.submit(write_stripe))
        for done in ran:
            done.result(timeout=120)
    stored = entitlement(user.uid) or {}
    # Every store purchase is in the last write, whichever writer made it.
    assert stored["live_subscriptions"] == sum(map(len, threads)) + (stored["stripe"]["status"] == "active")
    assert stored["plan"] == "premium"


def test_a_deleted_account_gets_no_store_purchase(user: AppUser) -> None:
    tombstones.record(user.uid, now())
    bought = purchase()
    assert store_purchases.record(bought, synced_at=now(), caller_uid=user.uid) is StoreOutcome.ORPHANED
    assert stored_purchase(bought) == {}
    assert entitlement(user.uid) is None


def test_deletion_removes_the_users_store_purchases_and_account_token(gateway: GatewayClient, user: AppUser) -> None:
    token = gateway.get("/v1/billing/store-account", headers=user.headers).json()["app_account_token"]
    bought = purchase(account_token=token)
    store_purchases.record(bought, synced_at=now())
    exported = gateway.get("/v1/me/export", headers=user.headers).json()["documents"]
    paths = {d["path"] for d in exported}
    assert {f"store_accounts/{token}", f"store_purchases/app_store:{bought.purchase_id}"} <= paths
    assert gateway.delete("/v1/me", headers=user.headers).status_code == 200
    assert stored_purchase(bought) == {}
    assert store_accounts.uid_of(token) is None
    # A later notification for it finds no user.
    assert store_purchases.record(bought, synced_at=now()) is StoreOutcome.ORPHANED
    assert entitlement(user.uid) is None


def test_the_purchase_route_records_through_the_stores_reader_and_answers_the_entitlement(user: AppUser) -> None:
    def reader(uid: str, purchase_id: str) -> StoreOutcome:
        return store_purchases.record(purchase(purchase_id=purchase_id), synced_at=now(), caller_uid=uid)

    report = PurchaseReport(store=Store.APP_STORE, purchase_id="2000000123")
    shown = purchase_reports.report_purchase(user.uid, report, readers={Store.APP_STORE: reader})
    assert (shown.plan, shown.source, shown.state) == ("premium", "app_store", "active")
    with pytest.raises(errors.PurchaseOwned):
        purchase_reports.report_purchase("someone-else", report, readers={Store.APP_STORE: reader})
    with pytest.raises(errors.InvalidArgument):
        purchase_reports.report_purchase(user.uid, report, readers={})


@pytest.mark.parametrize(
    "body",
    [{"store": "stripe", "purchase_id": "1"}, {"store": "app_store", "purchase_id": "a/b"}, {"store": "app_store"}],
)
def test_a_bad_purchase_report_is_400(gateway: GatewayClient, user: AppUser, body: dict[str, Any]) -> None:
    response = gateway.post("/v1/billing/store-purchases", json=body, headers=user.headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid-argument"
