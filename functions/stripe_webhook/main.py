"""Entry points of stripe_webhook: the Stripe webhook, Google Play notifications, billing sessions,
store purchases, the entitlement and reconciliation.

The Stripe-calling modules are imported on the first request that needs them, so the billing
function's common request, GET /v1/entitlement, starts without the Stripe SDK.
"""

from __future__ import annotations

import flask

from functions.stripe_webhook import entitlement_view
from lib import log
from lib.auth import Caller
from lib.http import Reply, parse_body
from lib.routing import serve


def receive_event(request: flask.Request) -> Reply:
    from functions.stripe_webhook import events, signature

    event = signature.verified_event(request.get_data(cache=True), request.headers.get("Stripe-Signature"))
    outcome = events.handle_event(event).value
    log.bind(event_outcome=outcome)  # the dashboard counts events by outcome
    return {"received": True, "outcome": outcome}


def receive_app_store_notification(request: flask.Request) -> Reply:
    from functions.stripe_webhook.app_store import notifications

    outcome = notifications.handle_notification(parse_body(request, notifications.NotificationBody)).value
    log.bind(notification_outcome=outcome)  # the dashboard counts notifications by outcome
    return {"received": True, "outcome": outcome}


def receive_play_notification(request: flask.Request) -> Reply:
    from functions.stripe_webhook.google_play import notifications

    outcome = notifications.handle_push(request.get_data(cache=True)).value
    log.bind(event_outcome=outcome)  # the dashboard counts notifications by outcome
    return {"received": True, "outcome": outcome}


def checkout_session(request: flask.Request, caller: Caller) -> Reply:
    from functions.stripe_webhook import sessions

    body = parse_body(request, sessions.CheckoutRequest)
    return sessions.create_checkout_session(caller.uid, caller.email, body).model_dump()


def portal_session(request: flask.Request, caller: Caller) -> Reply:
    from functions.stripe_webhook import sessions

    return sessions.create_portal_session(caller.uid).model_dump()


def entitlement(request: flask.Request, caller: Caller) -> Reply:
    return entitlement_view.entitlement_of(caller.uid).model_dump(mode="json")


def store_account(request: flask.Request, caller: Caller) -> Reply:
    from functions.stripe_webhook import store_accounts

    return store_accounts.account_of(caller.uid).model_dump()


def store_purchase(request: flask.Request, caller: Caller) -> Reply:
    from functions.stripe_webhook import purchase_reports

    body = parse_body(request, purchase_reports.PurchaseReport)
    return purchase_reports.report_purchase(caller.uid, body).model_dump(mode="json")


def run_reconcile(request: flask.Request) -> Reply:
    from functions.stripe_webhook import reconciliation

    return reconciliation.reconcile().model_dump()


webhook = serve("stripe_webhook", "webhook", {"stripe_webhook": receive_event})
app_store = serve("stripe_webhook", "app_store", {"app_store_notification": receive_app_store_notification})
billing = serve(
    "stripe_webhook",
    "billing",
    {
        "checkout_session_create": checkout_session,
        "portal_session_create": portal_session,
        "entitlement_get": entitlement,
        "store_account_get": store_account,
        "store_purchase_create": store_purchase,
    },
)
google_play = serve("stripe_webhook", "google_play", {"google_play_notification": receive_play_notification})
reconcile = serve("stripe_webhook", "reconcile", {"billing_reconcile": run_reconcile})
