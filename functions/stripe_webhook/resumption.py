"""A subscription paused because its trial ended without a card resumes once the customer has a
default card. Stripe does not resume it by itself when a card is added: the integration asks.

`resumable` decides without I/O; `resume_paused_trials` asks Stripe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import stripe

from lib import errors, stripe_api


def _paused_at_trial_end(subscription: Mapping[str, Any]) -> bool:
    behaviour = ((subscription.get("trial_settings") or {}).get("end_behavior") or {}).get("missing_payment_method")
    return subscription.get("status") == "paused" and subscription.get("trial_end") is not None and behaviour == "pause"


def resumable(customer: Mapping[str, Any], subscriptions: Sequence[Mapping[str, Any]]) -> list[str]:
    """The ids of the subscriptions paused at their trial's end that the customer's default card
    (`invoice_settings.default_payment_method`, what the billing portal sets) can now pay for."""
    if not (customer.get("invoice_settings") or {}).get("default_payment_method"):
        return []
    return [str(s["id"]) for s in subscriptions if _paused_at_trial_end(s)]


def _resume(subscription_id: str) -> bool:
    """Resumes with a new period that starts, and is charged, now. False when it was no longer
    paused (Stripe refuses with 400): another delivery resumed it first."""
    try:
        stripe_api.client().v1.subscriptions.resume(subscription_id, {"billing_cycle_anchor": {"type": "now"}})
    except stripe.InvalidRequestError:
        if stripe_api.client().v1.subscriptions.retrieve(subscription_id).status == "paused":
            raise
        return False
    return True


def resume_paused_trials(customer_id: str) -> list[str]:
    """Resumes what `resumable` names; answers the ids this call resumed. Safe to repeat: a
    resumed subscription is no longer paused. The customer is read only when one is paused."""
    try:
        subscriptions = stripe_api.subscriptions_of(customer_id)
        if not any(_paused_at_trial_end(s) for s in subscriptions):
            return []
        customer = stripe_api.client().raw_request("get", f"/v1/customers/{customer_id}").data
        return [s for s in resumable(customer, subscriptions) if _resume(s)]
    except stripe.StripeError as exc:
        raise errors.Unavailable("the payment provider is unavailable; retry shortly") from exc
