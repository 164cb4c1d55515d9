"""Read-only view of entitlements/{uid}; only functions/stripe_webhook writes them.

Document shape: {plan: "premium" | "free", status: <the deciding subscription's status>, state: <a
row of the state table in docs/payments.md>, access_until, grace_until, trial_end: timestamp | None,
cancel_at_period_end, current_period_end, source: "stripe" | "app_store" | "google_play", ...}:
the source that grants the most decides (functions/stripe_webhook/entitlement.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lib import firestore as db

IAM_PERMISSIONS = db.READS


# Stripe statuses that can grant access (past_due only within its grace period, via access_until).
ACCESS_STATUSES = frozenset({"active", "trialing", "past_due"})
# Store states that can grant access (each only until its access_until: canceled until the period's
# end, grace until the grace's end).
STORE_ACCESS_STATES = frozenset({"active", "canceled", "grace"})
STRIPE = "stripe"
NO_SOURCE = "none"
FREE = "free"


def plan_from(entitlement: Mapping[str, Any] | None, now: datetime | None = None) -> str:
    """The plan an entitlement document grants at `now` (default: now): its plan while its
    status (Stripe's) or state (a store's) can grant access and `access_until` has not passed,
    else free. Access that ends (a grace period, a cancelled period, a trial) ends here even
    before the source's next event."""
    if not entitlement or not _can_grant(entitlement):
        return FREE
    until = entitlement.get("access_until")
    if isinstance(until, datetime) and (now or datetime.now(UTC)) >= until:
        return FREE
    return str(entitlement.get("plan") or FREE)


def _can_grant(entitlement: Mapping[str, Any]) -> bool:
    if (entitlement.get("source") or STRIPE) == STRIPE:
        return entitlement.get("status") in ACCESS_STATUSES
    return entitlement.get("state") in STORE_ACCESS_STATES


def source_of(entitlement: Mapping[str, Any] | None) -> str:
    """The source whose subscription the entitlement's state describes: "stripe", "app_store",
    "google_play", or "none" when the user has no subscription anywhere."""
    if not entitlement or str(entitlement.get("state") or NO_SOURCE) == NO_SOURCE:
        return NO_SOURCE
    return str(entitlement.get("source") or STRIPE)


def _epoch(value: Any) -> int | None:
    return int(value.timestamp()) if isinstance(value, datetime) else None


def billing_claim(entitlement: Mapping[str, Any] | None) -> dict[str, Any]:
    """The `billing` custom claim beside `plan`: the entitlement's state, the source it comes
    from and its times, in epoch seconds, so the app can show a trial's or a grace period's end,
    and where the subscription is managed, without a request."""
    stored = entitlement or {}
    return {
        "state": str(stored.get("state") or "none"),
        "source": source_of(entitlement),
        "access_until": _epoch(stored.get("access_until")),
        "grace_until": _epoch(stored.get("grace_until")),
        "trial_end": _epoch(stored.get("trial_end")),
        "cancel_at_period_end": bool(stored.get("cancel_at_period_end")),
    }


def claims(entitlement: Mapping[str, Any] | None) -> dict[str, Any]:
    """The custom claims an entitlement document sets: `plan` and `billing`."""
    return {"plan": plan_from(entitlement), "billing": billing_claim(entitlement)}


def read(uid: str) -> dict[str, Any] | None:
    """entitlements/{uid} as stored, or None when the user never had one."""
    return db.client().collection("entitlements").document(uid).get().to_dict()


def active_plan(uid: str) -> str:
    return plan_from(read(uid))
