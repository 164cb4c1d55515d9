"""The local App Store's subscriptions and the signed data it answers and notifies with.

Each lifecycle step changes a subscription as the App Store does and returns the App Store
Server Notification V2 Apple sends for it; the payloads have the fields of Apple's
JWSTransactionDecodedPayload, JWSRenewalInfoDecodedPayload and responseBodyV2DecodedPayload.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from devstack.app_store_chain import Chain

# Apple's subscription status values (Get All Subscription Statuses, `status`).
ACTIVE, EXPIRED, BILLING_RETRY, BILLING_GRACE_PERIOD, REVOKED = 1, 2, 3, 4, 5
PERIOD_MS = 30 * 24 * 3600 * 1000
# Grace Period for Billing Issues: 16 days for a monthly subscription.
GRACE_MS = 16 * 24 * 3600 * 1000
GROUP = "21000001"
DEFAULT_PRODUCT = "premium.monthly"


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Transaction:
    transaction_id: str
    purchase_ms: int
    expires_ms: int
    reason: str  # PURCHASE or RENEWAL
    revocation_ms: int | None = None


@dataclass
class Subscription:
    original_transaction_id: str
    product_id: str
    app_account_token: str | None
    transactions: list[Transaction]
    status: int = ACTIVE
    auto_renew: bool = True
    grace_until_ms: int | None = None

    @property
    def latest(self) -> Transaction:
        return self.transactions[-1]


@dataclass
class Notification:
    uuid: str
    notification_type: str
    subtype: str | None
    signed_payload: str
    deliveries: list[int | str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "notification_uuid": self.uuid,
            "notification_type": self.notification_type,
            "subtype": self.subtype,
            "signed_payload": self.signed_payload,
            "deliveries": self.deliveries,
        }


class UnknownTransaction(LookupError):
    """No transaction of this id: Apple's 4040010."""


class AppStore:
    """Every subscription of the local App Store, for one app (bundle id, Apple id, environment)."""

    def __init__(self, chain: Chain, bundle_id: str, app_apple_id: int, environment: str) -> None:
        self.chain = chain
        self.bundle_id = bundle_id
        self.app_apple_id = app_apple_id
        self.environment = environment
        self.lock = threading.RLock()
        self.subscriptions: dict[str, Subscription] = {}
        self.notifications: dict[str, Notification] = {}
        self._ids = itertools.count(int(time.time()) * 1000)

    def _next_id(self) -> str:
        return str(next(self._ids))

    def subscription_of(self, transaction_id: str) -> Subscription:
        """The subscription any of whose transactions (original or renewal) has this id."""
        with self.lock:
            for subscription in self.subscriptions.values():
                if any(t.transaction_id == transaction_id for t in subscription.transactions):
                    return subscription
        raise UnknownTransaction(transaction_id)

    def transaction(self, transaction_id: str) -> tuple[Subscription, Transaction]:
        subscription = self.subscription_of(transaction_id)
        return subscription, next(t for t in subscription.transactions if t.transaction_id == transaction_id)

    # Signed data ---------------------------------------------------------------------------

    def transaction_payload(self, subscription: Subscription, transaction: Transaction) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "transactionId": transaction.transaction_id,
            "originalTransactionId": subscription.original_transaction_id,
            "webOrderLineItemId": f"{transaction.transaction_id}1",
            "bundleId": self.bundle_id,
            "productId": subscription.product_id,
            "subscriptionGroupIdentifier": GROUP,
            "purchaseDate": transaction.purchase_ms,
            "originalPurchaseDate": subscription.transactions[0].purchase_ms,
            "expiresDate": transaction.expires_ms,
            "quantity": 1,
            "type": "Auto-Renewable Subscription",
            "inAppOwnershipType": "PURCHASED",
            "signedDate": now_ms(),
            "environment": self.environment,
            "transactionReason": transaction.reason,
            "storefront": "USA",
            "storefrontId": "143441",
            "price": 4990,
            "currency": "USD",
        }
        if subscription.app_account_token:
            payload["appAccountToken"] = subscription.app_account_token
        if transaction.revocation_ms is not None:
            payload |= {"revocationDate": transaction.revocation_ms, "revocationReason": 0}
        return payload

    def renewal_payload(self, subscription: Subscription) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "originalTransactionId": subscription.original_transaction_id,
            "autoRenewProductId": subscription.product_id,
            "productId": subscription.product_id,
            "autoRenewStatus": 1 if subscription.auto_renew else 0,
            "isInBillingRetryPeriod": subscription.status in (BILLING_RETRY, BILLING_GRACE_PERIOD),
            "signedDate": now_ms(),
            "environment": self.environment,
            "recentSubscriptionStartDate": subscription.transactions[0].purchase_ms,
            "renewalDate": subscription.latest.expires_ms,
        }
        if subscription.grace_until_ms is not None and subscription.status == BILLING_GRACE_PERIOD:
            payload["gracePeriodExpiresDate"] = subscription.grace_until_ms
        if subscription.status == EXPIRED:
            payload["expirationIntent"] = 1 if not subscription.auto_renew else 2
        if subscription.app_account_token:
            payload["appAccountToken"] = subscription.app_account_token
        return payload

    def signed_transaction(self, subscription: Subscription, transaction: Transaction) -> str:
        return self.chain.sign(self.transaction_payload(subscription, transaction))

    def last_transaction_item(self, subscription: Subscription) -> dict[str, Any]:
        return {
            "status": subscription.status,
            "originalTransactionId": subscription.original_transaction_id,
            "signedTransactionInfo": self.signed_transaction(subscription, subscription.latest),
            "signedRenewalInfo": self.chain.sign(self.renewal_payload(subscription)),
        }

    def statuses(self, transaction_id: str) -> dict[str, Any]:
        """Get All Subscription Statuses' answer: the customer's subscription, one group."""
        with self.lock:
            subscription = self.subscription_of(transaction_id)
            item = self.last_transaction_item(subscription)
        return {
            "environment": self.environment,
            "bundleId": self.bundle_id,
            "appAppleId": self.app_apple_id,
            "data": [{"subscriptionGroupIdentifier": GROUP, "lastTransactions": [item]}],
        }

    def _notify(self, notification_type: str, subtype: str | None, subscription: Subscription | None) -> Notification:
        data: dict[str, Any] = {
            "appAppleId": self.app_apple_id,
            "bundleId": self.bundle_id,
            "bundleVersion": "1",
            "environment": self.environment,
        }
        if subscription is not None:
            item = self.last_transaction_item(subscription)
            data |= {
                "signedTransactionInfo": item["signedTransactionInfo"],
                "signedRenewalInfo": item["signedRenewalInfo"],
                "status": subscription.status,
            }
        payload: dict[str, Any] = {
            "notificationType": notification_type,
            "notificationUUID": str(uuid.uuid4()),
            "version": "2.0",
            "signedDate": now_ms(),
            "data": data,
        }
        if subtype:
            payload["subtype"] = subtype
        notification = Notification(payload["notificationUUID"], notification_type, subtype, self.chain.sign(payload))
        self.notifications[notification.uuid] = notification
        return notification

    # Lifecycle -----------------------------------------------------------------------------

    def buy(self, product_id: str, app_account_token: str | None) -> tuple[Subscription, Notification]:
        with self.lock:
            start = now_ms()
            first = Transaction(self._next_id(), start, start + PERIOD_MS, "PURCHASE")
            subscription = Subscription(first.transaction_id, product_id, app_account_token, [first])
            self.subscriptions[subscription.original_transaction_id] = subscription
            return subscription, self._notify("SUBSCRIBED", "INITIAL_BUY", subscription)

    def renew(self, subscription: Subscription) -> Notification:
        with self.lock:
            recovered = subscription.status in (BILLING_RETRY, BILLING_GRACE_PERIOD)
            start = max(now_ms(), subscription.latest.expires_ms)
            subscription.transactions.append(Transaction(self._next_id(), start, start + PERIOD_MS, "RENEWAL"))
            subscription.status, subscription.grace_until_ms, subscription.auto_renew = ACTIVE, None, True
            return self._notify("DID_RENEW", "BILLING_RECOVERY" if recovered else None, subscription)

    def fail_renewal(self, subscription: Subscription, *, grace: bool) -> Notification:
        """The period ends unpaid: with Billing Grace Period on, access goes on for GRACE_MS."""
        with self.lock:
            subscription.latest.expires_ms = min(subscription.latest.expires_ms, now_ms())
            if grace:
                subscription.status = BILLING_GRACE_PERIOD
                subscription.grace_until_ms = subscription.latest.expires_ms + GRACE_MS
                return self._notify("DID_FAIL_TO_RENEW", "GRACE_PERIOD", subscription)
            subscription.status, subscription.grace_until_ms = BILLING_RETRY, None
            return self._notify("DID_FAIL_TO_RENEW", None, subscription)

    def end_grace(self, subscription: Subscription) -> Notification:
        """The grace period ends still unpaid; Apple keeps retrying the charge."""
        with self.lock:
            subscription.status, subscription.grace_until_ms = BILLING_RETRY, None
            return self._notify("GRACE_PERIOD_EXPIRED", None, subscription)

    def expire(self, subscription: Subscription) -> Notification:
        with self.lock:
            voluntary = not subscription.auto_renew
            subscription.latest.expires_ms = min(subscription.latest.expires_ms, now_ms())
            subscription.status, subscription.grace_until_ms = EXPIRED, None
            return self._notify("EXPIRED", "VOLUNTARY" if voluntary else "BILLING_RETRY", subscription)

    def set_auto_renew(self, subscription: Subscription, on: bool) -> Notification:
        with self.lock:
            subscription.auto_renew = on
            return self._notify(
                "DID_CHANGE_RENEWAL_STATUS", "AUTO_RENEW_ENABLED" if on else "AUTO_RENEW_DISABLED", subscription
            )

    def refund(self, subscription: Subscription) -> Notification:
        """Apple refunds the latest transaction: it carries a revocationDate from then on."""
        with self.lock:
            subscription.latest.revocation_ms = now_ms()
            subscription.status = EXPIRED
            return self._notify("REFUND", None, subscription)

    def revoke(self, subscription: Subscription) -> Notification:
        """Family Sharing no longer shares the subscription with this customer."""
        with self.lock:
            subscription.latest.revocation_ms = now_ms()
            subscription.status = REVOKED
            return self._notify("REVOKE", None, subscription)

    def test_notification(self) -> Notification:
        with self.lock:
            return self._notify("TEST", None, None)
