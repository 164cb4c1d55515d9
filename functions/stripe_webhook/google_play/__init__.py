"""Google Play subscriptions: real-time developer notifications and the app's purchase report."""

from functions.stripe_webhook.google_play.purchases import purchase_from_app

__all__ = ["purchase_from_app"]
