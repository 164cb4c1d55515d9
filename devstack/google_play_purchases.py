"""The local Google Play's subscription purchases: their lifecycle, as Google Play moves them, and
the SubscriptionPurchaseV2 resource purchases.subscriptionsv2.get answers for each.

Time is the server's clock (`Clock`), which a control advances, so the three-day refund of an
unacknowledged purchase happens without waiting three days.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

PERIOD = timedelta(days=30)
GRACE = timedelta(days=3)
# Google refunds and revokes a purchase not acknowledged within three days of its payment.
ACKNOWLEDGE_WITHIN = timedelta(days=3)
# A token stays queryable until 60 days after the subscription expired, then answers 410.
QUERYABLE_AFTER_EXPIRY = timedelta(days=60)
PAID_STATES = frozenset(
    {"SUBSCRIPTION_STATE_ACTIVE", "SUBSCRIPTION_STATE_CANCELED", "SUBSCRIPTION_STATE_IN_GRACE_PERIOD"}
)

# Subscription notification types (Google Play's RTDN reference).
RECOVERED, RENEWED, CANCELED, PURCHASED, ON_HOLD, IN_GRACE_PERIOD, RESTARTED = 1, 2, 3, 4, 5, 6, 7
PAUSED, REVOKED, EXPIRED, PENDING_PURCHASE_CANCELED = 10, 12, 13, 20


class Clock:
    """Real time plus an offset a control moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def rfc3339(moment: datetime) -> str:
    """As Google writes times: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Purchase:
    token: str
    product_id: str
    account_id: str | None
    state: str
    started: datetime
    expiry: datetime
    paid_at: datetime | None
    linked_token: str | None = None
    auto_renew: bool = True
    acknowledged: bool = False
    canceled_at: datetime | None = None
    order_number: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def resource(self) -> dict[str, Any]:
        """The SubscriptionPurchaseV2 JSON of this purchase."""
        item: dict[str, Any] = {
            "productId": self.product_id,
            "expiryTime": rfc3339(self.expiry),
            "autoRenewingPlan": {"autoRenewEnabled": self.auto_renew},
            "offerDetails": {"basePlanId": "monthly", "offerTags": []},
        }
        if self.paid_at is not None:
            item["latestSuccessfulOrderId"] = f"GPA.{self.token[:4]}-{self.order_number:04d}"
        body: dict[str, Any] = {
            "kind": "androidpublisher#subscriptionPurchaseV2",
            "regionCode": "US",
            "startTime": rfc3339(self.started),
            "subscriptionState": self.state,
            "acknowledgementState": "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED"
            if self.acknowledged
            else "ACKNOWLEDGEMENT_STATE_PENDING",
            "lineItems": [item],
            "testPurchase": {},
        }
        if self.account_id:
            body["externalAccountIdentifiers"] = {"obfuscatedExternalAccountId": self.account_id}
        if self.linked_token:
            body["linkedPurchaseToken"] = self.linked_token
        if self.canceled_at is not None:
            body["canceledStateContext"] = {"userInitiatedCancellation": {"cancelTime": rfc3339(self.canceled_at)}}
        return body | self.extra


class UnknownToken(KeyError):
    pass


class ExpiredTooLong(KeyError):
    pass


class Purchases:
    """Every purchase by token; each transition answers the notification type Google sends for it."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.by_token: dict[str, Purchase] = {}

    def buy(self, product_id: str, account_id: str | None, *, pending: bool, linked_token: str | None) -> Purchase:
        now = self.clock.now()
        purchase = Purchase(
            token=secrets.token_urlsafe(24),
            product_id=product_id,
            account_id=account_id,
            state="SUBSCRIPTION_STATE_PENDING" if pending else "SUBSCRIPTION_STATE_ACTIVE",
            started=now,
            expiry=now + PERIOD,
            paid_at=None if pending else now,
            linked_token=linked_token,
        )
        with self.lock:
            self.by_token[purchase.token] = purchase
            if linked_token in self.by_token:
                # An upgrade, downgrade or resubscription replaces the old purchase at once.
                old = self.by_token[linked_token]
                old.state, old.auto_renew, old.expiry = "SUBSCRIPTION_STATE_EXPIRED", False, now
        return purchase

    def get(self, token: str) -> Purchase:
        with self.lock:
            purchase = self.by_token.get(token)
            if purchase is None:
                raise UnknownToken(token)
            if (
                purchase.state == "SUBSCRIPTION_STATE_EXPIRED"
                and self.clock.now() > purchase.expiry + QUERYABLE_AFTER_EXPIRY
            ):
                raise ExpiredTooLong(token)
            return purchase

    def unacknowledged_past_deadline(self) -> list[Purchase]:
        """Purchases Google refunds now: paid more than three days ago and never acknowledged."""
        now = self.clock.now()
        with self.lock:
            return [
                p
                for p in self.by_token.values()
                if p.state in PAID_STATES
                and not p.acknowledged
                and p.paid_at is not None
                and now - p.paid_at >= ACKNOWLEDGE_WITHIN
            ]

    def move(self, token: str, action: str) -> int:
        """Applies a lifecycle step; answers the subscription notification type it sends."""
        now = self.clock.now()
        with self.lock:
            p = self.get(token)
            if action == "renew":
                kind = (
                    RECOVERED
                    if p.state in ("SUBSCRIPTION_STATE_IN_GRACE_PERIOD", "SUBSCRIPTION_STATE_ON_HOLD")
                    else RENEWED
                )
                p.state, p.auto_renew, p.canceled_at = "SUBSCRIPTION_STATE_ACTIVE", True, None
                p.expiry, p.paid_at = max(p.expiry, now) + PERIOD, now
                p.order_number += 1
                return kind
            if action == "grace":
                p.state, p.expiry = "SUBSCRIPTION_STATE_IN_GRACE_PERIOD", now + GRACE
                return IN_GRACE_PERIOD
            if action == "hold":
                p.state, p.expiry = "SUBSCRIPTION_STATE_ON_HOLD", now
                return ON_HOLD
            if action == "pause":
                p.state = "SUBSCRIPTION_STATE_PAUSED"
                p.extra["pausedStateContext"] = {"autoResumeTime": rfc3339(now + PERIOD)}
                return PAUSED
            if action == "cancel":
                p.state, p.auto_renew, p.canceled_at = "SUBSCRIPTION_STATE_CANCELED", False, now
                return CANCELED
            if action == "restart":
                p.state, p.auto_renew, p.canceled_at = "SUBSCRIPTION_STATE_ACTIVE", True, None
                return RESTARTED
            if action == "expire":
                p.state, p.auto_renew, p.expiry = "SUBSCRIPTION_STATE_EXPIRED", False, min(p.expiry, now)
                return EXPIRED
            if action in ("revoke", "refund"):
                p.state, p.auto_renew, p.expiry = "SUBSCRIPTION_STATE_EXPIRED", False, now
                return REVOKED
            if action == "complete_pending":
                p.state, p.paid_at = "SUBSCRIPTION_STATE_ACTIVE", now
                p.expiry = now + PERIOD
                return PURCHASED
            if action == "cancel_pending":
                p.state, p.expiry = "SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED", now
                return PENDING_PURCHASE_CANCELED
        raise ValueError(f"unknown action {action!r}")
