"""Checkout and billing-portal sessions for the signed-in caller, and what they are entitled to."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import stripe
from pydantic import BaseModel

from functions.stripe_webhook import customers
from lib import entitlements, errors, stripe_api
from lib.config import settings
from lib.entitlements import FREE

T = TypeVar("T")


class CheckoutSession(BaseModel):
    id: str
    url: str


class PortalSession(BaseModel):
    url: str


def _calling_stripe(call: Callable[[], T]) -> T:
    try:
        return call()
    except stripe.StripeError as exc:
        raise errors.Unavailable("the payment provider is unavailable; retry shortly") from exc


def create_checkout_session(uid: str, email: str | None) -> CheckoutSession:
    if entitlements.active_plan(uid) != FREE:
        raise errors.Conflict("already subscribed; manage the subscription in the billing portal")
    config = settings()

    def create() -> CheckoutSession:
        session = stripe_api.client().v1.checkout.sessions.create(
            {
                "mode": "subscription",
                "customer": customers.ensure_customer(uid, email),
                "client_reference_id": uid,
                "line_items": [{"price": config.stripe_price_id, "quantity": 1}],
                "subscription_data": {"metadata": {"uid": uid}},
                "success_url": config.app_return_url + "?checkout=success",
                "cancel_url": config.app_return_url + "?checkout=cancel",
            }
        )
        return CheckoutSession(id=session.id, url=str(session.url))

    return _calling_stripe(create)


def create_portal_session(uid: str) -> PortalSession:
    customer_id = customers.customer_of(uid)
    if customer_id is None:
        raise errors.NotFound("no billing account yet; start a checkout first")
    session = _calling_stripe(
        lambda: stripe_api.client().v1.billing_portal.sessions.create(
            {"customer": customer_id, "return_url": settings().app_return_url}
        )
    )
    return PortalSession(url=session.url)
