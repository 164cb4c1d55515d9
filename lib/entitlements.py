"""Read-only view of entitlements/{uid}; only functions/stripe_webhook writes them.

Document shape: {plan: "premium" | "free", status: <Stripe subscription status>,
current_period_end: timestamp | None, source: "stripe", ...}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lib import firestore as db

IAM_PERMISSIONS = db.READS


ACTIVE_STATUSES = frozenset({"active", "trialing"})
FREE = "free"


def plan_from(entitlement: Mapping[str, Any] | None) -> str:
    """The plan an entitlement document grants now: its plan while active, else free."""
    if not entitlement or entitlement.get("status") not in ACTIVE_STATUSES:
        return FREE
    return str(entitlement.get("plan") or FREE)


def read(uid: str) -> dict[str, Any] | None:
    """entitlements/{uid} as stored, or None when the user never had one."""
    return db.client().collection("entitlements").document(uid).get().to_dict()


def active_plan(uid: str) -> str:
    return plan_from(read(uid))
