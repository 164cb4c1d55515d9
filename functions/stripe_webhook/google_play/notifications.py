"""Google Play real-time developer notifications in, once per Pub/Sub message id.

A notification only says which purchase token changed: processing asks Google for the token's
state now (purchases.sync_purchase), so a duplicate, a late or an out-of-order delivery records
nothing older than what Google reports. A revocation (SUBSCRIPTION_REVOKED, a voided purchase)
is the one fact the notification adds, since the subscription resource shows it only as an expiry.
"""

from __future__ import annotations

import functools

from functions.stripe_webhook import deliveries
from functions.stripe_webhook.deliveries import Outcome
from functions.stripe_webhook.google_play import developer_api, purchases
from functions.stripe_webhook.google_play.notification_models import (
    VOIDED_SUBSCRIPTION,
    DeveloperNotification,
    SubscriptionNotificationType,
    pushed_notification,
)
from functions.stripe_webhook.google_play.subscription_state import UnexpectedSubscription
from lib import firestore as db
from lib import log
from lib.config import settings
from lib.idempotency import FirestoreIdempotency

IAM_PERMISSIONS = db.WRITES

NOTIFICATIONS_COLLECTION = "google_play_notifications"

_logger = log.get_logger("google_play")


@functools.cache
def notification_records() -> FirestoreIdempotency:
    config = settings()
    return deliveries.records(
        NOTIFICATIONS_COLLECTION, config.google_play_notification_lease_s, config.google_play_notification_keep_days
    )


def revoked_token(notification: DeveloperNotification) -> tuple[str | None, bool]:
    """The purchase token a notification concerns (None: nothing to sync) and whether it was revoked."""
    if (sub := notification.subscription_notification) is not None:
        return sub.purchase_token, sub.notification_type == SubscriptionNotificationType.REVOKED
    if (voided := notification.voided_purchase_notification) is not None:
        return (voided.purchase_token, True) if voided.product_type == VOIDED_SUBSCRIPTION else (None, False)
    return None, False


def _process(notification: DeveloperNotification) -> Outcome:
    if notification.package_name != settings().google_play_package_name:
        _logger.warning("notification for another app", extra={"fields": {"package": notification.package_name}})
        return Outcome.IGNORED
    token, revoked = revoked_token(notification)
    if token is None:
        return Outcome.IGNORED
    try:
        return Outcome(purchases.sync_purchase(token, revoked=revoked).value)
    except developer_api.UnknownPurchase:
        # Google no longer knows the token (it expired more than 60 days ago): nothing to record.
        return Outcome.ORPHANED
    except UnexpectedSubscription:
        _logger.exception("Google Play answered a subscription this code cannot read")
        return Outcome.ORPHANED


def handle_push(body: bytes) -> Outcome:
    """Processes a verified push once per message id: a duplicate is acknowledged, a delivery
    racing another one is told to come back later. Each outcome is counted for the day."""
    message_id, notification = pushed_notification(body)
    log.bind(message_id=message_id, notification=notification.kind)
    outcome = deliveries.handle_once(notification_records(), message_id, lambda: _process(notification))
    _logger.info("google play notification", extra={"fields": {"outcome": outcome.value}})
    return outcome
