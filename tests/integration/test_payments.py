"""Payments through the gateway and the local Stripe: checkout to premium, signatures,
exactly-once under duplicates, order independence, crash recovery, reconciliation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe
from firebase_admin import auth as fb_auth

from functions.stripe_webhook import customers, entitlement_store
from functions.stripe_webhook.entitlement import Entitlement
from functions.stripe_webhook.events import EVENTS_COLLECTION
from lib import firebase, stripe_api
from lib import firestore as db
from lib.config import settings
from lib.idempotency import FirestoreIdempotency
from tests.conftest import AppUser, GatewayClient
from tests.support.payments import (
    checkout,
    deliver,
    delivered_ok,
    entitlement,
    event_payload,
    event_record,
    local,
    set_faults,
    stored_view,
    undelivered_checkout,
)
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
VENDORED_FIXTURES = ROOT / "devstack" / "stripe_fixtures" / "fixtures3.json"
# The reference the vendored copy was taken from, where the project's shared folder sits beside it.
SHARED_FIXTURES = ROOT.parent / "shared" / "reference" / "stripe" / "fixtures3.json"


@pytest.fixture
def faults(stack: object) -> Iterator[None]:
    """Every test that switches faults leaves the local Stripe as it found it."""
    yield
    set_faults()


def premium(uid: str) -> dict[str, Any] | None:
    doc = entitlement(uid)
    return doc if doc and doc.get("plan") == "premium" and doc.get("status") == "active" else None


def test_checkout_then_webhooks_make_the_user_premium(gateway: GatewayClient, user: AppUser) -> None:
    completed = checkout(gateway, user)
    stored = wait_for(lambda: premium(user.uid), "premium entitlement")
    assert stored["subscription_id"] == completed["subscription"]["id"]
    assert stored["source"] == "stripe"
    view = gateway.get("/v1/entitlement", headers=user.headers).json()
    assert view["plan"] == "premium"
    assert view["status"] == "active"
    assert view["current_period_end"] is not None
    claims = wait_for(lambda: fb_auth.get_user(user.uid, app=firebase.app()).custom_claims, "plan claim")
    assert claims["plan"] == "premium"
    portal = gateway.post("/v1/billing/portal-session", headers=user.headers)
    assert portal.status_code == 200, portal.text
    assert portal.json()["url"].startswith(settings().stripe_api_base)


def test_new_user_entitlement_is_free(gateway: GatewayClient, user: AppUser) -> None:
    assert gateway.get("/v1/entitlement", headers=user.headers).json() == {
        "plan": "free",
        "status": "none",
        "state": "none",
        "access_until": None,
        "grace_until": None,
        "trial_end": None,
        "cancel_at_period_end": False,
        "current_period_end": None,
        "source": "none",
    }


def test_portal_before_any_checkout_is_not_found(gateway: GatewayClient, user: AppUser) -> None:
    response = gateway.post("/v1/billing/portal-session", headers=user.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not-found"


def test_checkout_while_premium_is_conflict(gateway: GatewayClient, user: AppUser) -> None:
    checkout(gateway, user)
    wait_for(lambda: premium(user.uid), "premium entitlement")
    response = gateway.post("/v1/billing/checkout-session", headers=user.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "billing/subscription-exists"


def test_one_stripe_customer_per_user_across_checkouts(gateway: GatewayClient, user: AppUser) -> None:
    first = gateway.post("/v1/billing/checkout-session", headers=user.headers).json()["id"]
    second = gateway.post("/v1/billing/checkout-session", headers=user.headers).json()["id"]
    customers = {stripe_api.client().v1.checkout.sessions.retrieve(s).customer for s in (first, second)}
    assert len(customers) == 1
    customer = stripe_api.client().v1.customers.retrieve(customers.pop())
    assert customer.metadata["uid"] == user.uid


@pytest.mark.parametrize("case", ["missing", "wrong-secret", "stale", "tampered"])
def test_bad_signature_is_400_and_touches_nothing(
    gateway: GatewayClient, user: AppUser, faults: None, case: str
) -> None:
    event_id = undelivered_checkout(gateway, user)["events"][0]
    payload = event_payload(event_id)
    secret = settings().stripe_webhook_secret
    sign = stripe.WebhookSignature.generate_signature_header
    headers: dict[str, str] = {"Content-Type": "application/json"}
    body = payload
    if case == "wrong-secret":
        headers["Stripe-Signature"] = sign(payload, "whsec_not_ours")
    elif case == "stale":
        headers["Stripe-Signature"] = sign(payload, secret, timestamp=int(time.time()) - 301)
    elif case == "tampered":
        headers["Stripe-Signature"] = sign(payload, secret)
        body = payload.replace(user.uid, "someone-else")
    response = gateway.post("/stripe/webhook", data=body.encode(), headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "stripe/invalid-signature"
    assert event_record(event_id) is None
    assert entitlement(user.uid) is None


def test_rotation_header_with_two_signatures_is_processed(gateway: GatewayClient, user: AppUser, faults: None) -> None:
    event_id = undelivered_checkout(gateway, user)["events"][0]
    payload = event_payload(event_id)
    now = int(time.time())
    old = stripe.WebhookSignature.generate_signature_header(payload, "whsec_retired", timestamp=now)
    new = stripe.WebhookSignature.generate_signature_header(payload, settings().stripe_webhook_secret, timestamp=now)
    response = deliver(gateway, payload, header=f"{old},{new.split(',')[1]}")
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "applied"


def test_twenty_concurrent_duplicate_deliveries_take_effect_once(
    gateway: GatewayClient, user: AppUser, faults: None
) -> None:
    event_id = undelivered_checkout(gateway, user)["events"][0]
    payload = event_payload(event_id)
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: deliver(gateway, payload).status_code, range(20)))
    assert set(statuses) <= {200, 409}
    # Stripe retries what was told 409; by then the event is done and is acknowledged.
    assert all(deliver(gateway, payload).json()["outcome"] == "duplicate" for _ in statuses if _ == 409)
    record = event_record(event_id)
    assert record is not None
    assert record["status"] == "completed"
    assert record["applied"] == 1
    assert premium(user.uid)


def test_out_of_order_subscription_events_end_in_the_last_state(
    gateway: GatewayClient, user: AppUser, faults: None
) -> None:
    set_faults(hold=True)
    completed = checkout(gateway, user)
    subscription_id = completed["subscription"]["id"]
    cancelled = local("POST", f"/_local/subscriptions/{subscription_id}/cancel")
    set_faults(reorder=True)  # releases the held deliveries, newest first: deleted before created
    ids = [*completed["events"], *cancelled["events"]]
    wait_for(lambda: all(delivered_ok(e) for e in ids), "every held event delivered")
    stored = entitlement(user.uid)
    assert stored is not None
    assert (stored["status"], stored["plan"], stored["subscription_id"]) == ("canceled", "free", subscription_id)


def test_older_view_never_overwrites_a_newer_one(stack: object, user: AppUser) -> None:
    now = datetime.now(UTC)
    customers.ref(user.uid).create({"customer_id": "cus_x"})

    def view(status: str) -> Entitlement:
        return stored_view("cus_x", status)

    assert entitlement_store.write_if_newer(user.uid, view("canceled"), now).applied
    assert not entitlement_store.write_if_newer(user.uid, view("active"), now - timedelta(seconds=1)).applied
    stored = entitlement(user.uid)
    assert stored is not None
    assert stored["status"] == "canceled"


def test_crash_between_lease_and_done_is_processed_once_after_retry(
    gateway: GatewayClient, user: AppUser, faults: None
) -> None:
    event_id = undelivered_checkout(gateway, user)["events"][0]
    lease_s = settings().stripe_event_lease_s
    long_ago = datetime.now(UTC) - timedelta(seconds=2 * lease_s)
    crashed = FirestoreIdempotency(
        EVENTS_COLLECTION, lease=timedelta(seconds=lease_s), keep=timedelta(days=30), clock=lambda: long_ago
    )
    crashed.acquire(event_id)  # a delivery took the lease, then its instance died
    payload = event_payload(event_id)
    assert deliver(gateway, payload).json()["outcome"] == "applied"
    assert deliver(gateway, payload).json()["outcome"] == "duplicate"
    record = event_record(event_id)
    assert record is not None
    assert (record["status"], record["attempts"], record["applied"]) == ("completed", 2, 1)


def test_delivery_during_a_live_lease_is_told_to_retry(gateway: GatewayClient, user: AppUser, faults: None) -> None:
    event_id = undelivered_checkout(gateway, user)["events"][0]
    records = FirestoreIdempotency(EVENTS_COLLECTION, lease=timedelta(minutes=5), keep=timedelta(days=30))
    lease = records.acquire(event_id)
    try:
        response = deliver(gateway, event_payload(event_id))
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "conflict"
        assert int(response.headers["Retry-After"]) > 0
        record = event_record(event_id)
        assert record is not None
        assert "applied" not in record
    finally:
        # A live lease left behind would make every later reconcile in this test run report it busy.
        records.release(lease)


def test_reconcile_heals_dropped_events(gateway: GatewayClient, user: AppUser, faults: None) -> None:
    completed = undelivered_checkout(gateway, user)
    assert entitlement(user.uid) is None
    report = gateway.post("/internal/billing/reconcile")
    assert report.status_code == 200, report.text
    assert report.json()["replayed"] >= len(completed["events"])
    assert premium(user.uid)
    for event_id in completed["events"]:
        record = event_record(event_id)
        assert record is not None
        assert (record["status"], record["applied"]) == ("completed", 1)
    again = gateway.post("/internal/billing/reconcile").json()
    assert again["already_done"] >= len(completed["events"])


def test_delivery_retried_after_a_failure_is_applied(gateway: GatewayClient, user: AppUser, faults: None) -> None:
    """The local Stripe retries non-2xx answers with backoff, as Stripe does."""
    set_faults(hold=True)
    completed = checkout(gateway, user)
    event_id = completed["events"][0]
    FirestoreIdempotency(EVENTS_COLLECTION, lease=timedelta(seconds=1), keep=timedelta(days=30)).acquire(event_id)
    set_faults()
    wait_for(lambda: delivered_ok(event_id), "a successful retry")
    attempts = local("GET", "/_local/deliveries", params={"event_id": event_id})["deliveries"]
    assert attempts[0]["status"] == 409
    assert attempts[-1]["status"] == 200
    record = event_record(event_id)
    assert record is not None
    assert record["applied"] == 1


def test_account_deletion_cancels_the_subscription(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    wait_for(lambda: premium(user.uid), "premium entitlement")
    response = gateway.delete("/v1/me", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["subscriptions_cancelled"] == 1
    assert stripe_api.client().v1.subscriptions.retrieve(subscription_id).status == "canceled"


def test_events_after_account_deletion_write_no_entitlement(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    wait_for(lambda: premium(user.uid), "premium entitlement")  # the webhook now knows the customer's owner
    assert gateway.delete("/v1/me", headers=user.headers).status_code == 200
    changed = local("POST", f"/_local/subscriptions/{subscription_id}/update", data={"status": "active"})
    assert changed["events"]
    for event_id in changed["events"]:
        wait_for(lambda event_id=event_id: delivered_ok(event_id), f"delivery of {event_id}")
        assert (event_record(event_id) or {}).get("outcome") == "orphaned"
    assert entitlement(user.uid) is None


def test_entitlement_is_not_written_for_a_customer_the_user_does_not_own(stack: object, user: AppUser) -> None:
    customers.ref(user.uid).create({"customer_id": "cus_mine"})
    view = stored_view("cus_other", "active")
    written = entitlement_store.write_if_newer(user.uid, view, datetime.now(UTC))
    assert (written.applied, written.owned) == (False, False)
    assert entitlement(user.uid) is None


def test_vendored_fixtures_are_stripes_own() -> None:
    if not SHARED_FIXTURES.exists():
        pytest.skip("the shared reference is not beside this checkout")
    shared = json.loads(SHARED_FIXTURES.read_text())["resources"]
    vendored = json.loads(VENDORED_FIXTURES.read_text())["resources"]
    assert all(vendored[name] == shared[name] for name in vendored)


def test_local_stripe_objects_have_stripes_fields(gateway: GatewayClient, user: AppUser, faults: None) -> None:
    fixtures = json.loads(VENDORED_FIXTURES.read_text())["resources"]
    completed = undelivered_checkout(gateway, user)
    client = stripe_api.client().v1
    subscription = client.subscriptions.retrieve(completed["subscription"]["id"]).to_dict()
    portal = gateway.post("/v1/billing/portal-session", headers=user.headers)
    assert portal.status_code == 200
    events = [client.events.retrieve(e).to_dict() for e in completed["events"]]
    customer_id = subscription["customer"]
    ours = {
        "customer": client.customers.retrieve(customer_id).to_dict(),
        "subscription": subscription,
        "checkout.session": client.checkout.sessions.retrieve(completed["session"]["id"]).to_dict(),
        "billing_portal.session": client.billing_portal.sessions.create(
            {"customer": subscription["customer"]}
        ).to_dict(),
        "invoice": next(e["data"]["object"] for e in events if e["type"] == "invoice.paid"),
        "event": events[0],
    }
    for name, obj in ours.items():
        assert set(obj) == set(fixtures[name]), name
    item, template_item = subscription["items"]["data"][0], fixtures["subscription"]["items"]["data"][0]
    assert set(item) == set(template_item)
    assert "current_period_end" not in subscription


def test_duplicate_switch_delivers_every_event_twice_and_each_applies_once(
    gateway: GatewayClient, user: AppUser, faults: None
) -> None:
    set_faults(duplicate_rate=1.0)
    completed = checkout(gateway, user)

    def both_answered() -> bool:
        attempts = [
            local("GET", "/_local/deliveries", params={"event_id": e})["deliveries"] for e in completed["events"]
        ]
        return all(sum(1 for a in tries if a["status"] == 200) >= 2 for tries in attempts)

    wait_for(both_answered, "two successful deliveries of every event")
    for event_id in completed["events"]:
        record = event_record(event_id)
        assert record is not None
        assert record["applied"] == 1
    assert premium(user.uid)


def test_claim_left_behind_by_a_failed_update_is_set_by_the_next_event(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    wait_for(lambda: premium(user.uid), "premium entitlement")
    wait_for(lambda: (entitlement(user.uid) or {}).get("claim_plan") == "premium", "claim recorded")
    # What an Auth failure right after the entitlement write leaves behind.
    fb_auth.set_custom_user_claims(user.uid, {}, app=firebase.app())
    db.client().collection("entitlements").document(user.uid).update({"claim_plan": "free"})
    local("POST", f"/_local/subscriptions/{subscription_id}/update", data={"status": "active"})
    claims = wait_for(lambda: fb_auth.get_user(user.uid, app=firebase.app()).custom_claims, "plan claim set again")
    assert (claims["plan"], claims["billing"]["state"]) == ("premium", "active")


def test_demo_user_pays_on_the_checkout_page_and_cancels_in_the_portal(gateway: GatewayClient, user: AppUser) -> None:
    session = gateway.post("/v1/billing/checkout-session", headers=user.headers, json={}).json()
    assert "<form" in requests.get(session["url"], timeout=10).text
    paid = requests.post(session["url"], allow_redirects=False, timeout=10)
    assert paid.status_code == 303
    assert paid.headers["Location"].startswith(settings().app_return_url)
    wait_for(lambda: premium(user.uid), "premium entitlement")
    portal_url = gateway.post("/v1/billing/portal-session", headers=user.headers).json()["url"]
    page = requests.get(portal_url, timeout=10).text
    subscription_id = stripe_api.client().v1.checkout.sessions.retrieve(session["id"]).subscription
    assert f"Cancel {subscription_id}" in page
    cancelled = requests.post(f"{portal_url}/cancel/{subscription_id}", allow_redirects=False, timeout=10)
    assert cancelled.status_code == 303
    wait_for(lambda: (entitlement(user.uid) or {}).get("status") == "canceled", "cancelled entitlement")
    assert gateway.get("/v1/entitlement", headers=user.headers).json()["plan"] == "free"


def test_the_local_stripe_refuses_a_key_reused_with_other_parameters(stack: object) -> None:
    customers_api = stripe_api.client().v1.customers
    key = f"test-key-{time.time_ns()}"
    first = customers_api.create({"email": "a@example.com"}, {"idempotency_key": key})
    assert customers_api.create({"email": "a@example.com"}, {"idempotency_key": key}).id == first.id
    with pytest.raises(stripe.IdempotencyError):
        customers_api.create({"email": "b@example.com"}, {"idempotency_key": key})
