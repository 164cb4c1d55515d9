"""The Stripe client, configured once per process from settings, and the few calls shared
beyond the payments function.

Where settings().stripe_api_base names one (the local stack does), the client talks to that
server; otherwise to Stripe's own. A `StripeClient` keeps its configuration to itself, so
nothing here touches the `stripe` module's globals.
"""

from __future__ import annotations

import functools
from typing import Any

import stripe
from stripe._base_address import BaseAddresses

from lib import errors
from lib.config import settings

ACTIVE_SUBSCRIPTION_STATUSES = ("active", "trialing", "past_due", "unpaid", "incomplete", "paused")


@functools.cache
def client() -> stripe.StripeClient:
    config = settings()
    base_addresses: BaseAddresses = {"api": config.stripe_api_base} if config.stripe_api_base else {}
    return stripe.StripeClient(
        config.stripe_api_key,
        base_addresses=base_addresses,
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=config.stripe_timeout_s),
    )


def _listed(path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every object of a Stripe list, page by page, as Stripe's JSON.

    Plain dicts rather than `StripeObject`s, which are costly to build and convert back on every
    delivery. Raises stripe.StripeError."""
    found: list[dict[str, Any]] = []
    params = {**params, "limit": 100}
    while True:
        page = client().raw_request("get", path, **params).data
        found.extend(page["data"])
        if not page.get("has_more") or not page["data"]:
            return found
        params["starting_after"] = page["data"][-1]["id"]


def subscriptions_of(customer_id: str) -> list[dict[str, Any]]:
    """Every subscription of the customer, in any status. Raises stripe.StripeError."""
    return _listed("/v1/subscriptions", {"customer": customer_id, "status": "all"})


def charges_of(customer_id: str, since: int) -> list[dict[str, Any]]:
    """The customer's charges created at or after `since` (epoch seconds), refunded and disputed
    ones included. Raises stripe.StripeError."""
    return _listed("/v1/charges", {"customer": customer_id, "created": {"gte": since}})


def disputes_of(charge_id: str) -> list[dict[str, Any]]:
    """The disputes of a charge, open or closed. Raises stripe.StripeError."""
    return _listed("/v1/disputes", {"charge": charge_id})


def customer_of_charge(charge_id: str) -> str | None:
    """The customer a charge belongs to. Raises stripe.StripeError."""
    charge = client().raw_request("get", f"/v1/charges/{charge_id}").data
    return str(charge["customer"]) if charge.get("customer") else None


def cancel_subscriptions(customer_id: str) -> list[str]:
    """Cancels every subscription of the customer that could still bill; answers their ids.

    Safe to repeat: a cancelled subscription is no longer listed."""
    try:
        cancelled = []
        for subscription in subscriptions_of(customer_id):
            if subscription["status"] in ACTIVE_SUBSCRIPTION_STATUSES:
                client().v1.subscriptions.cancel(subscription["id"])
                cancelled.append(str(subscription["id"]))
        return cancelled
    except stripe.StripeError as exc:
        raise errors.Unavailable("the payment provider is unavailable; retry shortly") from exc


def _expire(session_id: str) -> bool:
    """Expires an open Checkout session; False when it was no longer open (paid or expired meanwhile)."""
    try:
        client().v1.checkout.sessions.expire(session_id)
    except stripe.InvalidRequestError:
        if client().v1.checkout.sessions.retrieve(session_id).status == "open":
            raise
        return False
    return True


def expire_checkout(session_id: str) -> None:
    """Makes sure a Checkout session can no longer be paid (unless it already was)."""
    try:
        _expire(session_id)
    except stripe.StripeError as exc:
        raise errors.Unavailable("the payment provider is unavailable; retry shortly") from exc


def open_checkouts(customer_id: str) -> list[dict[str, Any]]:
    """The customer's open Checkout sessions."""
    try:
        return _listed("/v1/checkout/sessions", {"customer": customer_id, "status": "open"})
    except stripe.StripeError as exc:
        raise errors.Unavailable("the payment provider is unavailable; retry shortly") from exc


def expire_open_checkouts(customer_id: str) -> list[str]:
    """Expires the customer's open Checkout sessions, so none can be paid any more; answers their ids."""
    try:
        return [str(s["id"]) for s in open_checkouts(customer_id) if _expire(str(s["id"]))]
    except stripe.StripeError as exc:
        raise errors.Unavailable("the payment provider is unavailable; retry shortly") from exc


def delete_customer(customer_id: str) -> None:
    """Deletes the customer (and with it the email Stripe holds). Safe to repeat."""
    try:
        client().v1.customers.delete(customer_id)
    except stripe.InvalidRequestError as exc:
        if exc.code != "resource_missing":
            raise errors.Unavailable("the payment provider refused the deletion; retry shortly") from exc
    except stripe.StripeError as exc:
        raise errors.Unavailable("the payment provider is unavailable; retry shortly") from exc
