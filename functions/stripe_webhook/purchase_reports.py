"""The app's report of a store purchase (POST /v1/billing/store-purchases): the store is asked
for the purchase's state, which is recorded for the caller, and the caller's entitlement answered.

The app reports right after a purchase, so Premium does not wait for the store's notification;
the store is asked, never the report believed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.stripe_webhook import app_store, google_play
from functions.stripe_webhook.entitlement_view import EntitlementView, entitlement_of
from functions.stripe_webhook.store_purchases import StoreOutcome
from functions.stripe_webhook.store_subscription import Store
from lib import errors

# Asks a store for the purchase the app reported and records it for the user: (uid, purchase_id).
Reader = Callable[[str, str], StoreOutcome]

# Each store's reader: its package's `purchase_from_app`, imported here with the package
# (app_store, google_play), so this module is imported only by the route that reports a purchase.
READERS: Mapping[Store, Reader] = {
    Store.APP_STORE: app_store.purchase_from_app,
    Store.GOOGLE_PLAY: google_play.purchase_from_app,
}


class PurchaseReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store: Literal[Store.APP_STORE, Store.GOOGLE_PLAY]
    # The App Store's transactionId, or Google Play's purchaseToken (base64url pieces joined by dots,
    # so `_` too); both are ids of this alphabet.
    purchase_id: str = Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z0-9_.:-]+$")


def report_purchase(uid: str, report: PurchaseReport, readers: Mapping[Store, Reader] = READERS) -> EntitlementView:
    """Records the reported purchase through its store's reader, then answers the caller's
    entitlement. PurchaseOwned (409) when the purchase belongs to another account."""
    reader = readers.get(report.store)
    if reader is None:
        raise errors.InvalidArgument(f"store: purchases from {report.store.value} are not accepted")
    reader(uid, report.purchase_id)
    return entitlement_of(uid)
