"""App Store Server Notifications V2 in: verified, recorded once per notificationUUID, and turned
into the subscription's state as the App Store Server API reports it now.

A notification only says which subscription to look at: its state is asked from Apple when the
notification is processed, so one that arrives late, twice or out of order writes the present.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from appstoreserverlibrary.models.NotificationTypeV2 import NotificationTypeV2
from appstoreserverlibrary.models.ResponseBodyV2DecodedPayload import ResponseBodyV2DecodedPayload
from appstoreserverlibrary.signed_data_verifier import VerificationException, VerificationStatus
from pydantic import BaseModel, ConfigDict, Field

from functions.stripe_webhook import deliveries, store_purchases
from functions.stripe_webhook.app_store import apple, subscriptions
from functions.stripe_webhook.deliveries import Outcome
from lib import errors, log
from lib import firestore as db
from lib.config import settings
from lib.idempotency import FirestoreIdempotency

IAM_PERMISSIONS = db.WRITES

COLLECTION = "app_store_notifications"

_logger = log.get_logger("app_store_notifications")


class NotificationBody(BaseModel):
    """What Apple posts: the notification, signed (App Store Server Notifications V2)."""

    model_config = ConfigDict(extra="allow")

    signedPayload: str = Field(min_length=1)  # noqa: N815 - Apple's field name


@functools.cache
def notification_records() -> FirestoreIdempotency:
    config = settings()
    return deliveries.records(
        COLLECTION, config.app_store_notification_lease_s, config.app_store_notification_keep_days
    )


def verified_notification(signed_payload: str) -> ResponseBodyV2DecodedPayload:
    """The notification, if its chain reaches a trusted root and it names our app and environment."""
    try:
        notification = apple.verifier().verify_and_decode_notification(signed_payload)
    except VerificationException as exc:
        if exc.status is VerificationStatus.RETRYABLE_VERIFICATION_FAILURE:
            raise errors.Unavailable("Apple's certificate status could not be checked; retry shortly") from exc
        log.bind(verification=exc.status.name)
        raise errors.InvalidAppStoreSignature("the signedPayload is not signed by the App Store for this app") from exc
    if not notification.notificationUUID:
        raise errors.InvalidArgument("signedPayload: a notification needs a notificationUUID")
    return notification


def _process(notification: ResponseBodyV2DecodedPayload) -> Outcome:
    if notification.notificationType is NotificationTypeV2.TEST:
        return Outcome.IGNORED  # recorded and answered; it names no subscription
    signed = notification.data.signedTransactionInfo if notification.data else None
    if not signed:
        return Outcome.IGNORED
    transaction = subscriptions.verified_transaction(signed)
    if not subscriptions.is_subscription(transaction) or not transaction.originalTransactionId:
        return Outcome.IGNORED
    log.bind(original_transaction_id=transaction.originalTransactionId)
    synced_at = datetime.now(UTC)  # taken before Apple is asked: the state is at least this fresh
    subscription = subscriptions.subscription_now(transaction.originalTransactionId)
    return Outcome(store_purchases.record(subscription, synced_at=synced_at).value)


def handle_notification(body: NotificationBody) -> Outcome:
    """Verifies and processes a notification once: a duplicate is acknowledged, a delivery racing
    another is told to come back later (Apple retries any answer but 200). Each outcome is counted
    for the day; a payload that fails verification is refused before anything is read or written."""
    notification = verified_notification(body.signedPayload)
    key = str(notification.notificationUUID)
    log.bind(notification_uuid=key, notification_type=notification.rawNotificationType, subtype=notification.rawSubtype)
    outcome = deliveries.handle_once(notification_records(), key, lambda: _process(notification))
    _logger.info("app store notification", extra={"fields": {"outcome": outcome.value}})
    return outcome
