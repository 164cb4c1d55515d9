"""A purchase the app reports (POST /v1/billing/store-purchases): the App Store is asked, never
the report believed."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.stripe_webhook import store_purchases
from functions.stripe_webhook.app_store import apple, subscriptions
from functions.stripe_webhook.store_purchases import StoreOutcome
from lib import errors


def purchase_from_app(uid: str, transaction_id: str) -> StoreOutcome:
    """Records for `uid` the subscription of a transaction the app reports, as the App Store Server
    API answers now. NotFound for a transaction Apple does not know, Unavailable when Apple does
    not answer, PurchaseOwned when another account owns the subscription."""
    transaction = subscriptions.verified_transaction(apple.signed_transaction(transaction_id))
    if not subscriptions.is_subscription(transaction) or not transaction.originalTransactionId:
        raise errors.InvalidArgument(f"purchase_id: transaction {transaction_id!r} is not an App Store subscription")
    synced_at = datetime.now(UTC)  # taken before Apple is asked: the state is at least this fresh
    subscription = subscriptions.subscription_now(transaction.originalTransactionId)
    return store_purchases.record(subscription, synced_at=synced_at, caller_uid=uid)
