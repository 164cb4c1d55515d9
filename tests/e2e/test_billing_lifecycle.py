"""Every entitlement state and transition of docs/payments.md, end to end: the gateway, the
webhook, the emulators and the local Stripe, which is driven through its /_local controls and
read through the real stripe library."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stripe
from firebase_admin import auth as fb_auth

from functions.stripe_webhook import daily_counts
from lib import firebase, stripe_api
from lib import firestore as db
from lib.config import settings
from tests.conftest import AppUser, GatewayClient
from tests.support.payments import (
    checkout,
    control,
    deliver,
    delivered,
    entitlement,
    event_payload,
    event_record,
    local,
)
from tests.support.waiting import wait_for


def state_of(uid: str, state: str) -> dict[str, Any]:
    """Waits for the stored entitlement to reach `state`."""
    return wait_for(lambda: (e := entitlement(uid)) and e.get("state") == state and e, f"entitlement {state}")


def view(gateway: GatewayClient, user: AppUser) -> dict[str, Any]:
    response = gateway.get("/v1/entitlement", headers=user.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def checkout_response(gateway: GatewayClient, user: AppUser, **body: Any) -> Any:
    return gateway.post("/v1/billing/checkout-session", headers=user.headers, json=body)


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def test_a_trial_needs_no_card_allows_promotion_codes_and_grants_access(gateway: GatewayClient, user: AppUser) -> None:
    response = checkout_response(gateway, user, trial=True)
    assert response.status_code == 200, response.text
    session = stripe_api.client().v1.checkout.sessions.retrieve(response.json()["id"])
    assert (session.payment_method_collection, session.allow_promotion_codes) == ("if_required", True)
    completed = local(
        "POST", f"/_local/checkout_sessions/{session.id}/complete", data={"card": False, "promotion_code": "WELCOME"}
    )
    assert completed["subscription"]["default_payment_method"] is None
    state_of(user.uid, "trialing")
    shown = view(gateway, user)
    assert (shown["plan"], shown["state"], shown["status"]) == ("premium", "trialing", "trialing")
    assert shown["trial_end"] == shown["access_until"]
    trial_days = (at(shown["trial_end"]) - datetime.now(UTC)).total_seconds() / 86400
    assert settings().stripe_trial_days - 1 < trial_days <= settings().stripe_trial_days
    claims = wait_for(lambda: fb_auth.get_user(user.uid, app=firebase.app()).custom_claims, "claims")
    assert claims["billing"]["state"] == "trialing"
    assert claims["billing"]["trial_end"] == int(at(shown["trial_end"]).timestamp())


def test_a_trial_ending_without_a_card_pauses_and_grants_nothing(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user, trial=True, card=False)["subscription"]["id"]
    state_of(user.uid, "trialing")
    delivered(control(subscription_id, "trial_end")["events"])
    assert stripe_api.client().v1.subscriptions.retrieve(subscription_id).status == "paused"
    state_of(user.uid, "paused")
    assert view(gateway, user)["plan"] == "free"


def test_a_card_added_after_a_trial_paused_without_one_resumes_it_once(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user, trial=True, card=False)["subscription"]["id"]
    state_of(user.uid, "trialing")
    paused = control(subscription_id, "trial_end")
    delivered(paused["events"])
    state_of(user.uid, "paused")
    assert view(gateway, user)["plan"] == "free"
    assert gateway.post("/v1/billing/portal-session", headers=user.headers).status_code == 200
    customer_id = paused["subscription"]["customer"]
    added = local("POST", f"/_local/customers/{customer_id}/add_card")
    card_added_at = added["payment_method"]["created"]
    delivered(added["events"])
    resumed = stripe_api.client().v1.subscriptions.retrieve(subscription_id)
    assert resumed.status == "active"
    assert resumed["items"].data[0].current_period_start >= card_added_at
    # The first period is charged at once, with the card just added.
    charges = stripe_api.client().v1.charges.list({"customer": customer_id}).data
    assert [(c.amount, c.paid) for c in charges] == [(999, True)]
    assert state_of(user.uid, "active")["subscription_id"] == subscription_id
    shown = view(gateway, user)
    assert (shown["plan"], shown["state"]) == ("premium", "active")
    resumes = stripe_api.client().v1.events.list(
        {"type": "customer.subscription.resumed", "created": {"gte": card_added_at}}
    )
    resumed_events = [e.id for e in resumes.data if e.data.object["id"] == subscription_id]
    assert len(resumed_events) == 1
    delivered(resumed_events)
    # Stripe delivers the card's event again: acknowledged, nothing resumed or charged twice.
    customer_updated = next(
        e for e in added["events"] if stripe_api.client().v1.events.retrieve(e).type == "customer.updated"
    )
    again = deliver(gateway, event_payload(customer_updated))
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    assert event_record(customer_updated)["applied"] == 1
    # A delivery whose processing ran but whose record was lost (a crash before completing) runs
    # again: the subscription is no longer paused, so it is not resumed again.
    db.client().collection("stripe_events").document(customer_updated).delete()
    again = deliver(gateway, event_payload(customer_updated))
    assert (again.status_code, again.json()["outcome"]) == (200, "applied")
    assert stripe_api.client().v1.subscriptions.retrieve(subscription_id).latest_invoice == resumed.latest_invoice
    assert len(stripe_api.client().v1.charges.list({"customer": customer_id}).data) == 1
    assert view(gateway, user)["plan"] == "premium"


def test_only_a_paused_subscription_can_be_resumed(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_api.client().v1.subscriptions.resume(subscription_id, {"billing_cycle_anchor": {"type": "now"}})
    assert refused.value.http_status == 400


def test_a_trial_ending_with_a_card_becomes_active(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user, trial=True, card=True)["subscription"]["id"]
    state_of(user.uid, "trialing")
    control(subscription_id, "trial_end")
    state_of(user.uid, "active")
    assert view(gateway, user)["plan"] == "premium"


def test_a_trial_is_offered_once_per_user(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user, trial=True)["subscription"]["id"]
    state_of(user.uid, "trialing")
    local("POST", f"/_local/subscriptions/{subscription_id}/cancel")
    state_of(user.uid, "canceled")
    again = checkout_response(gateway, user, trial=True)
    assert again.status_code == 200, again.text
    session = stripe_api.client().v1.checkout.sessions.retrieve(again.json()["id"])
    assert session.payment_method_collection == "always"
    completed = local("POST", f"/_local/checkout_sessions/{session.id}/complete")
    assert completed["subscription"]["status"] == "active"


def test_active_grants_access_while_it_renews(gateway: GatewayClient, user: AppUser) -> None:
    subscription = checkout(gateway, user)["subscription"]
    state_of(user.uid, "active")
    shown = view(gateway, user)
    period_end = subscription["items"]["data"][0]["current_period_end"]
    assert (shown["plan"], shown["access_until"]) == ("premium", None)
    assert int(at(shown["current_period_end"]).timestamp()) == period_end


def test_cancel_at_period_end_keeps_access_until_the_period_ends(gateway: GatewayClient, user: AppUser) -> None:
    subscription = checkout(gateway, user)["subscription"]
    state_of(user.uid, "active")
    local("POST", f"/_local/subscriptions/{subscription['id']}/cancel", data={"at_period_end": True})
    state_of(user.uid, "canceling")
    shown = view(gateway, user)
    assert (shown["plan"], shown["cancel_at_period_end"]) == ("premium", True)
    assert int(at(shown["access_until"]).timestamp()) == subscription["items"]["data"][0]["current_period_end"]


def test_a_failed_payment_is_past_due_with_access_until_the_grace_period_ends(
    gateway: GatewayClient, user: AppUser
) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    state_of(user.uid, "active")
    failed = control(subscription_id, "payment_failed")
    state_of(user.uid, "past_due")
    shown = view(gateway, user)
    period_start = failed["subscription"]["items"]["data"][0]["current_period_start"]
    grace_until = datetime.fromtimestamp(period_start, UTC) + timedelta(days=settings().stripe_grace_days)
    assert (shown["plan"], at(shown["grace_until"]), at(shown["access_until"])) == ("premium", grace_until, grace_until)


def test_a_checkout_while_past_due_is_refused(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    control(subscription_id, "payment_failed")
    state_of(user.uid, "past_due")
    response = checkout_response(gateway, user)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "billing/subscription-exists"


def test_pause_removes_access_and_resume_restores_it(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    state_of(user.uid, "active")
    control(subscription_id, "pause")
    state_of(user.uid, "paused")
    assert view(gateway, user)["plan"] == "free"
    assert checkout_response(gateway, user).status_code == 409
    control(subscription_id, "resume")
    state_of(user.uid, "active")
    assert view(gateway, user)["plan"] == "premium"


@pytest.mark.parametrize("status", ["unpaid", "incomplete", "incomplete_expired"])
def test_unpaid_and_incomplete_grant_nothing(gateway: GatewayClient, user: AppUser, status: str) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    state_of(user.uid, "active")
    local("POST", f"/_local/subscriptions/{subscription_id}/update", data={"status": status})
    state_of(user.uid, status)
    assert view(gateway, user)["plan"] == "free"


def test_cancelled_grants_nothing(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    state_of(user.uid, "active")
    local("POST", f"/_local/subscriptions/{subscription_id}/cancel")
    state_of(user.uid, "canceled")
    assert view(gateway, user)["plan"] == "free"


def test_a_full_refund_of_the_latest_payment_removes_access(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    state_of(user.uid, "active")
    refunded = control(subscription_id, "refund")
    assert stripe_api.client().v1.charges.retrieve(refunded["charge"]["id"]).refunded is True
    state_of(user.uid, "refunded")
    assert view(gateway, user)["plan"] == "free"


def test_a_dispute_removes_access(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    state_of(user.uid, "active")
    control(subscription_id, "dispute")
    state_of(user.uid, "disputed")
    assert view(gateway, user)["plan"] == "free"


def test_a_dispute_won_gives_access_back(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    state_of(user.uid, "active")
    opened = control(subscription_id, "dispute")
    state_of(user.uid, "disputed")
    closed = local("POST", f"/_local/disputes/{opened['dispute']['id']}/close", data={"status": "won"})
    delivered(closed["events"])
    assert stripe_api.client().v1.charges.retrieve(opened["charge"]["id"]).disputed is True
    state_of(user.uid, "active")
    assert view(gateway, user)["plan"] == "premium"


def test_a_dispute_lost_keeps_access_removed(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    state_of(user.uid, "active")
    opened = control(subscription_id, "dispute")
    state_of(user.uid, "disputed")
    closed = local("POST", f"/_local/disputes/{opened['dispute']['id']}/close", data={"status": "lost"})
    delivered(closed["events"])
    assert event_record(closed["events"][0])["outcome"] in ("applied", "stale")
    assert (view(gateway, user)["plan"], view(gateway, user)["state"]) == ("free", "disputed")


def test_concurrent_checkouts_of_one_user_create_one_session(gateway: GatewayClient, user: AppUser) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: checkout_response(gateway, user), range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    customer = stripe_api.client().v1.checkout.sessions.retrieve(ids.pop()).customer
    listed = stripe_api.client().v1.checkout.sessions.list({"customer": str(customer)})
    assert len(listed.data) == 1


def open_sessions_of(session_id: str) -> list[str]:
    """The ids of the open Checkout sessions of the customer that `session_id` belongs to."""
    sessions = stripe_api.client().v1.checkout.sessions
    customer = str(sessions.retrieve(session_id).customer)
    return [s.id for s in sessions.list({"customer": customer, "status": "open"}).data]


def test_asking_for_the_trial_after_a_plain_checkout_leaves_one_payable_session(
    gateway: GatewayClient, user: AppUser
) -> None:
    plain = checkout_response(gateway, user)
    trial = checkout_response(gateway, user, trial=True)
    assert (plain.status_code, trial.status_code) == (200, 200), trial.text
    assert open_sessions_of(trial.json()["id"]) == [trial.json()["id"]]
    assert stripe_api.client().v1.checkout.sessions.retrieve(plain.json()["id"]).status == "expired"
    again = checkout_response(gateway, user)
    assert again.status_code == 200, again.text
    assert open_sessions_of(again.json()["id"]) == [again.json()["id"]]


def test_plain_and_trial_checkouts_at_once_leave_one_payable_session(gateway: GatewayClient, user: AppUser) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda i: checkout_response(gateway, user, trial=i % 2 == 1), range(6)))
    answered = [r.json()["id"] for r in responses if r.status_code == 200]
    assert answered, [r.text for r in responses]
    # The latest choice wins: its session is the one left open, and it was answered.
    left_open = open_sessions_of(answered[0])
    assert len(left_open) == 1
    assert left_open[0] in answered


def test_a_checkout_paid_while_another_checkout_request_is_in_flight_opens_no_second_session(
    gateway: GatewayClient, user: AppUser
) -> None:
    first = checkout_response(gateway, user).json()["id"]
    customer = str(stripe_api.client().v1.checkout.sessions.retrieve(first).customer)
    # The next request's view of the subscriptions is the one before the payment below.
    local("PUT", "/_local/api_holds", json={"method": "GET", "path": "/v1/subscriptions", "customer": customer})
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            in_flight = pool.submit(checkout_response, gateway, user)
            wait_for(lambda: local("GET", "/_local/api_holds")["held"] == 1, "the checkout request to read Stripe")
            local("POST", f"/_local/checkout_sessions/{first}/complete")
            local("DELETE", "/_local/api_holds")
            response = in_flight.result()
    finally:
        local("DELETE", "/_local/api_holds")
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "billing/subscription-exists"
    assert stripe_api.client().v1.checkout.sessions.list({"customer": customer, "status": "open"}).data == []


def test_a_new_checkout_after_the_last_session_expired_is_a_new_session(gateway: GatewayClient, user: AppUser) -> None:
    first = checkout_response(gateway, user).json()["id"]
    stripe_api.client().v1.checkout.sessions.expire(first)
    second = checkout_response(gateway, user)
    assert second.status_code == 200, second.text
    assert second.json()["id"] != first
    assert stripe_api.client().v1.checkout.sessions.retrieve(second.json()["id"]).status == "open"


def test_reconcile_reports_a_second_live_subscription_and_grants_once(gateway: GatewayClient, user: AppUser) -> None:
    first = checkout(gateway, user)["subscription"]
    state_of(user.uid, "active")
    # A second subscription made outside the app, straight at Stripe.
    outside = stripe_api.client().v1.checkout.sessions.create(
        {
            "mode": "subscription",
            "customer": first["customer"],
            "line_items": [{"price": settings().stripe_price_id, "quantity": 1}],
            "success_url": "https://example.test/done",
        }
    )
    second = local("POST", f"/_local/checkout_sessions/{outside.id}/complete")
    delivered(second["events"])
    stored = wait_for(lambda: (e := entitlement(user.uid)) and e.get("live_subscriptions") == 2 and e, "two live")
    assert (stored["plan"], stored["state"]) == ("premium", "active")
    before = daily_counts.totals(datetime.now(UTC).date())["duplicate_subscription"]
    report = gateway.post("/internal/billing/reconcile")
    assert report.status_code == 200, report.text
    assert user.uid in report.json()["duplicate_subscriptions"]
    assert daily_counts.totals(datetime.now(UTC).date())["duplicate_subscription"] > before
    # Cancelling one leaves the other granting access.
    local("POST", f"/_local/subscriptions/{first['id']}/cancel")
    stored = wait_for(lambda: (e := entitlement(user.uid)) and e.get("live_subscriptions") == 1 and e, "one live")
    assert (stored["plan"], stored["subscription_id"]) == ("premium", second["subscription"]["id"])


def test_account_deletion_expires_open_checkouts_and_deletes_the_customer(
    gateway: GatewayClient, user: AppUser
) -> None:
    session_id = checkout_response(gateway, user).json()["id"]
    customer_id = str(stripe_api.client().v1.checkout.sessions.retrieve(session_id).customer)
    response = gateway.delete("/v1/me", headers=user.headers)
    assert response.status_code == 200, response.text
    assert (response.json()["checkouts_expired"], response.json()["customer_deleted"]) == (1, True)
    assert stripe_api.client().v1.checkout.sessions.retrieve(session_id).status == "expired"
    assert stripe_api.client().v1.customers.retrieve(customer_id).to_dict().get("deleted") is True
    with pytest.raises(Exception, match="400"):
        local("POST", f"/_local/checkout_sessions/{session_id}/complete")


def test_a_webhook_for_a_deleted_users_customer_is_recorded_as_orphaned(gateway: GatewayClient, user: AppUser) -> None:
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    state_of(user.uid, "active")
    assert gateway.delete("/v1/me", headers=user.headers).status_code == 200
    before = daily_counts.totals(datetime.now(UTC).date())["orphaned"]
    late = local("POST", f"/_local/subscriptions/{subscription_id}/update", data={"status": "active"})["events"]
    delivered(late)
    for event_id in late:
        record = event_record(event_id)
        assert record is not None
        assert (record["status"], record["outcome"]) == ("completed", "orphaned")
    assert daily_counts.totals(datetime.now(UTC).date())["orphaned"] >= before + len(late)
    assert entitlement(user.uid) is None
