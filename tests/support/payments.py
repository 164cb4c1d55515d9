"""Helpers for payments tests: the local Stripe's control endpoints, signed deliveries, waiting."""

from __future__ import annotations

import json
from typing import Any

import requests
import stripe

from functions.stripe_webhook.entitlement import Entitlement, State, no_entitlement
from lib import firestore as db
from lib import stripe_api
from lib.config import settings
from tests.conftest import AppUser, GatewayClient
from tests.support.waiting import wait_for


def local(method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, settings().stripe_api_base + path, timeout=30, **kwargs)
    response.raise_for_status()
    return response.json()


def set_faults(**faults: Any) -> None:
    local("PUT", "/_local/webhook_faults", json=faults)


def checkout(gateway: GatewayClient, user: AppUser, *, trial: bool = False, card: bool = True) -> dict[str, Any]:
    """Starts a checkout through the gateway and completes it at the local Stripe (with a card,
    or, for a trial, without one when `card` is false)."""
    response = gateway.post("/v1/billing/checkout-session", headers=user.headers, json={"trial": trial})
    assert response.status_code == 200, response.text
    completed = local("POST", f"/_local/checkout_sessions/{response.json()['id']}/complete", data={"card": card})
    return dict(completed)


def control(subscription_id: str, action: str) -> dict[str, Any]:
    """A lifecycle step at the local Stripe: trial_end, payment_failed, pause, resume, refund, dispute."""
    return dict(local("POST", f"/_local/subscriptions/{subscription_id}/{action}"))


def delivered(events: list[str]) -> None:
    """Waits until each event was answered 200 by the webhook."""
    wait_for(lambda: all(delivered_ok(e) for e in events), f"delivery of {events}")


def event_payload(event_id: str) -> str:
    """The event as Stripe's API holds it, fetched with the stripe library."""
    event = stripe_api.client().v1.events.retrieve(event_id)
    return json.dumps(event.to_dict(for_json=True))


def deliver(gateway: GatewayClient, payload: str, *, header: str | None = None) -> requests.Response:
    signed = header or stripe.WebhookSignature.generate_signature_header(payload, settings().stripe_webhook_secret)
    return gateway.post(
        "/stripe/webhook",
        data=payload.encode(),
        headers={"Stripe-Signature": signed, "Content-Type": "application/json"},
    )


def event_record(event_id: str) -> dict[str, Any] | None:
    return db.client().collection("stripe_events").document(event_id).get().to_dict()


def entitlement(uid: str) -> dict[str, Any] | None:
    return db.client().collection("entitlements").document(uid).get().to_dict()


def delivered_ok(event_id: str) -> bool:
    attempts = local("GET", "/_local/deliveries", params={"event_id": event_id})["deliveries"]
    return any(a["status"] == 200 for a in attempts)


def undelivered_checkout(gateway: GatewayClient, user: AppUser) -> dict[str, Any]:
    """A completed checkout whose webhooks were all lost on the way."""
    set_faults(drop_rate=1.0)
    completed = checkout(gateway, user)
    set_faults()
    return completed


def stored_view(customer_id: str, status: str) -> Entitlement:
    """A Stripe view as the webhook stores it: one subscription, active or canceled."""
    active = status == "active"
    return no_entitlement(customer_id).model_copy(
        update={
            "plan": "premium" if active else "free",
            "status": status,
            "state": State.ACTIVE if active else State.CANCELED,
            "subscription_id": "sub_x",
            "live_subscriptions": 1 if active else 0,
        }
    )
