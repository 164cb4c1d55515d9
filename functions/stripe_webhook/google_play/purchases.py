"""A Google Play purchase token's current state, read from Google and recorded for its user.

Both ways a purchase reaches us, a real-time developer notification and the app's own report,
end here: the state always comes from purchases.subscriptionsv2.get, never from what the
notification says, and a new purchase is acknowledged once it is recorded, since Google refunds
one left unacknowledged for three days.
"""

from __future__ import annotations

from datetime import UTC, datetime

from functions.stripe_webhook import store_purchases
from functions.stripe_webhook.google_play import developer_api
from functions.stripe_webhook.google_play.subscription_state import needs_acknowledgement, store_subscription
from functions.stripe_webhook.store_purchases import StoreOutcome
from lib import log

_logger = log.get_logger("google_play")


def sync_purchase(token: str, *, revoked: bool = False, caller_uid: str | None = None) -> StoreOutcome:
    """Records what Google says of `token` now, then acknowledges it if it still needs that.
    Raises developer_api.UnknownPurchase, errors.Unavailable, errors.Conflict (another user's)."""
    synced_at = datetime.now(UTC)  # taken before the read: the state is at least this fresh
    purchase = developer_api.subscription(token)
    subscription = store_subscription(token, purchase, revoked=revoked)
    outcome = store_purchases.record(subscription, synced_at=synced_at, caller_uid=caller_uid)
    if needs_acknowledgement(purchase) and not revoked:
        developer_api.acknowledge(subscription.product_id, token)
        _logger.info("acknowledged", extra={"fields": {"product_id": subscription.product_id}})
    return outcome


def purchase_from_app(uid: str, purchase_token: str) -> StoreOutcome:
    """The purchase the app reports for its signed-in user (POST /v1/billing/store-purchases)."""
    return sync_purchase(purchase_token, caller_uid=uid)
