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
ATTEMPT_METADATA = "checkout_attempt"
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


def _refuse_if_subscribed(subscriptions: list[dict[str, Any]]) -> None:
    if blocks_checkout(subscriptions):
        raise errors.SubscriptionExists("a subscription exists; manage it in the billing portal")


def _open_session(params: dict[str, Any], key: str) -> stripe.checkout.Session | None:
    """The session of `key` while it is open, else None (paid or expired)."""
    sessions = stripe_api.client().v1.checkout.sessions
    session = sessions.create(_with_attempt(params, key), {"idempotency_key": key})  # type: ignore[arg-type]
    response = session.last_response
    if response is None or response.headers.get("Idempotent-Replayed") == "true":
        session = sessions.retrieve(session.id)  # a replayed answer shows the session as it was created
    return session if session.status == "open" else None


def _with_attempt(params: dict[str, Any], key: str) -> dict[str, Any]:
    """The session names its attempt, so replacing the attempt expires exactly its sessions."""
    return {**params, "metadata": {ATTEMPT_METADATA: key}}


def _close(customer_id: str, attempt: checkout_attempts.Attempt) -> None:
    """Expires the open sessions of `attempt` (and of none, made before sessions named theirs)."""
    for session in stripe_api.open_checkouts(customer_id):
        if (session.get("metadata") or {}).get(ATTEMPT_METADATA) in (attempt.key, None):
            stripe_api.expire_checkout(str(session["id"]))


def create_checkout_session(uid: str, email: str | None, request: CheckoutRequest) -> CheckoutSession:
    """At most one open session per user at any time, and none while a subscription may still bill.

    A request whose attempt has other parameters, or a session no longer open, replaces the
    attempt, then expires the old attempt's open sessions (after replacing, so a session of the
    old key made meanwhile is either listed here or sees the replacement and expires itself),
    then refuses if one of them was paid meanwhile, then opens its own."""
    customer_id = _calling_stripe(lambda: customers.ensure_customer(uid, email))
    subscriptions = _calling_stripe(lambda: stripe_api.subscriptions_of(customer_id))
    _refuse_if_subscribed(subscriptions)
    params = checkout_params(uid, customer_id, offer_trial=request.trial and not trial_used(subscriptions))
    digest = checkout_attempts.params_digest(params)
    for _ in range(_ATTEMPTS):
        attempt = checkout_attempts.current(uid)
        if attempt is not None and attempt.digest == digest:
            session = _calling_stripe(functools.partial(_open_session, params, attempt.key))
            if session is not None:
                return _confirmed(uid, attempt, session)
        started = checkout_attempts.start(uid, digest, replacing=attempt)
        if started is None:
            continue  # another request replaced the attempt first
        if attempt is not None:
            _close(customer_id, attempt)
            _refuse_if_subscribed(_calling_stripe(lambda: stripe_api.subscriptions_of(customer_id)))
        session = _calling_stripe(functools.partial(_open_session, params, started.key))
        if session is not None:
            return _confirmed(uid, started, session)
    raise errors.Unavailable("checkout is busy; retry shortly")


def _confirmed(uid: str, attempt: checkout_attempts.Attempt, session: stripe.checkout.Session) -> CheckoutSession:
    """The session, unless a request with other parameters replaced the attempt meanwhile: that
    request may have expired the attempt's sessions before this one was created, so it is expired here."""
    latest = checkout_attempts.current(uid)
    if latest is not None and latest.key == attempt.key:
        return CheckoutSession(id=session.id, url=str(session.url))
    stripe_api.expire_checkout(session.id)
    raise errors.Unavailable("a newer checkout request replaced this one; retry shortly")


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
