"""Read-only view of entitlements/{uid}; only functions/stripe_webhook writes them.

Document shape: {plan: "premium" | "free", status: <Stripe subscription status>, state: <a row
of the state table in docs/payments.md>, access_until, grace_until, trial_end: timestamp | None,
cancel_at_period_end, current_period_end, source: "stripe", ...}.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lib import firestore as db

IAM_PERMISSIONS = db.READS


# Stripe statuses that can grant access (past_due only within its grace period, via access_until).
ACCESS_STATUSES = frozenset({"active", "trialing", "past_due"})
FREE = "free"


def plan_from(entitlement: Mapping[str, Any] | None, now: datetime | None = None) -> str:
    """The plan an entitlement document grants at `now` (default: now): its plan while its
    status can grant access and `access_until` has not passed, else free. Access that ends
    (a grace period, a cancelled period, a trial) ends here even before Stripe's next event."""
    if not entitlement or entitlement.get("status") not in ACCESS_STATUSES:
        return FREE
    until = entitlement.get("access_until")
    if isinstance(until, datetime) and (now or datetime.now(UTC)) >= until:
        return FREE
    return str(entitlement.get("plan") or FREE)


def _epoch(value: Any) -> int | None:
    return int(value.timestamp()) if isinstance(value, datetime) else None


def billing_claim(entitlement: Mapping[str, Any] | None) -> dict[str, Any]:
    """The `billing` custom claim beside `plan`: the entitlement's state and its times, in
    epoch seconds, so the app can show a trial's or a grace period's end without a request."""
    stored = entitlement or {}
    return {
        "state": str(stored.get("state") or "none"),
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
