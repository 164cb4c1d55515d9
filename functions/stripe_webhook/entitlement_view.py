"""What GET /v1/entitlement answers: the caller's plan, subscription status and period end.

Apart from the Stripe-calling modules: the app reads its entitlement far more often than it
checks out, and this read needs neither the Stripe SDK nor the webhook's code.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from functions.stripe_webhook.entitlement import NO_SUBSCRIPTION
from lib import entitlements
from lib.entitlements import FREE, plan_from


class EntitlementView(BaseModel):
    plan: str
    status: str
    current_period_end: datetime | None


def entitlement_of(uid: str) -> EntitlementView:
    stored = entitlements.read(uid)
    if not stored:
        return EntitlementView(plan=FREE, status=NO_SUBSCRIPTION, current_period_end=None)
    return EntitlementView(
        plan=plan_from(stored),
        status=str(stored.get("status") or NO_SUBSCRIPTION),
        current_period_end=stored.get("current_period_end"),
    )
