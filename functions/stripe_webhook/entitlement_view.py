"""What GET /v1/entitlement answers: the caller's plan, its state in the table of
docs/payments.md, and when access, grace and trial end.

Apart from the Stripe-calling modules: the app reads its entitlement far more often than it
checks out, and this read needs neither the Stripe SDK nor the webhook's code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, cast

from pydantic import BaseModel

from functions.stripe_webhook.entitlement import NO_SUBSCRIPTION
from lib import entitlements
from lib.entitlements import plan_from, source_of

Source = Literal["stripe", "app_store", "google_play", "none"]


class EntitlementView(BaseModel):
    plan: str
    status: str
    state: str
    access_until: datetime | None
    grace_until: datetime | None
    trial_end: datetime | None
    cancel_at_period_end: bool
    current_period_end: datetime | None
    source: Source  # where the state's subscription was bought


def entitlement_of(uid: str) -> EntitlementView:
    stored = entitlements.read(uid) or {}
    return EntitlementView(
        plan=plan_from(stored),
        status=str(stored.get("status") or NO_SUBSCRIPTION),
        state=str(stored.get("state") or NO_SUBSCRIPTION),
        access_until=stored.get("access_until"),
        grace_until=stored.get("grace_until"),
        trial_end=stored.get("trial_end"),
        cancel_at_period_end=bool(stored.get("cancel_at_period_end")),
        current_period_end=stored.get("current_period_end"),
        source=cast(Source, source_of(stored)),
    )
