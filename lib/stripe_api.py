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


def subscriptions_of(customer_id: str) -> list[dict[str, Any]]:
    """Every subscription of the customer, in any status, as Stripe's JSON.

    Plain dicts rather than `StripeObject`s, which are costly to build and convert back on every
    delivery. Raises stripe.StripeError."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"customer": customer_id, "status": "all", "limit": 100}
    while True:
        page = client().raw_request("get", "/v1/subscriptions", **params).data
        found.extend(page["data"])
        if not page.get("has_more") or not page["data"]:
            return found
        params["starting_after"] = page["data"][-1]["id"]


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
