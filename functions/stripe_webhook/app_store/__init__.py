"""The App Store: Server Notifications V2 in, subscription state from the App Store Server API,
both through app-store-server-library (docs/app-store.md)."""

from functions.stripe_webhook.app_store.purchases import purchase_from_app

__all__ = ["purchase_from_app"]
