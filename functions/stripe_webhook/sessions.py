"""Checkout and billing-portal sessions for the signed-in caller, and what they are entitled to."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import stripe
from pydantic import BaseModel, ConfigDict, StrictBool

from functions.stripe_webhook import checkout_attempts, customers
from functions.stripe_webhook.entitlement import blocks_checkout, trial_used
from lib import errors, stripe_api
from lib.config import settings

T = TypeVar("T")
_ATTEMPTS = 3


class CheckoutRequest(BaseModel):
    """An empty body, or none, checks out without a trial; `trial: true` asks for the free
    trial, granted when the user never had one."""

    model_config = ConfigDict(extra="forbid")

    trial: StrictBool = False


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


def checkout_params(uid: str, customer_id: str, *, offer_trial: bool) -> dict[str, Any]:
    """Checkout for one subscription, promotion codes allowed; with `offer_trial`, the trial,
    which needs no card and pauses (rather than cancels) if it ends without one."""
    config = settings()
    subscription_data: dict[str, Any] = {"metadata": {"uid": uid}}
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": uid,
        "line_items": [{"price": config.stripe_price_id, "quantity": 1}],
        "allow_promotion_codes": True,
        "subscription_data": subscription_data,
        "success_url": config.app_return_url + "?checkout=success",
        "cancel_url": config.app_return_url + "?checkout=cancel",
    }
    if offer_trial and config.stripe_trial_days > 0:
        subscription_data["trial_period_days"] = config.stripe_trial_days
        subscription_data["trial_settings"] = {"end_behavior": {"missing_payment_method": "pause"}}
        params["payment_method_collection"] = "if_required"
    return params


def _open_session(params: dict[str, Any], attempt: checkout_attempts.Attempt) -> stripe.checkout.Session | None:
    """The attempt's session while it is open, else None (paid, expired, or its key was used
    with other parameters, such as a trial asked for since)."""
    sessions = stripe_api.client().v1.checkout.sessions
    try:
        session = sessions.create(params, {"idempotency_key": attempt.key})  # type: ignore[arg-type]
    except stripe.IdempotencyError:
        return None
    if attempt.update_time is not None:
        session = sessions.retrieve(session.id)  # a replayed answer shows the session as it was created
    return session if session.status == "open" else None


def create_checkout_session(uid: str, email: str | None, request: CheckoutRequest) -> CheckoutSession:
    """One open session per user at a time, and none while a subscription may still bill."""
    customer_id = _calling_stripe(lambda: customers.ensure_customer(uid, email))
    subscriptions = _calling_stripe(lambda: stripe_api.subscriptions_of(customer_id))
    if blocks_checkout(subscriptions):
        raise errors.SubscriptionExists("a subscription exists; manage it in the billing portal")
    params = checkout_params(uid, customer_id, offer_trial=request.trial and not trial_used(subscriptions))
    for _ in range(_ATTEMPTS):
        attempt = checkout_attempts.current(uid)
        session = _calling_stripe(functools.partial(_open_session, params, attempt))
        if session is not None:
            return CheckoutSession(id=session.id, url=str(session.url))
        checkout_attempts.retire(uid, attempt)
    raise errors.Unavailable("checkout is busy; retry shortly")


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
