"""Helpers for Google Play tests: the local Google Play's controls, what the stack stored."""

from __future__ import annotations

from typing import Any

import requests

from functions.stripe_webhook.google_play.notifications import NOTIFICATIONS_COLLECTION
from functions.stripe_webhook.store_subscription import Store
from functions.stripe_webhook.store_views import ref as view_ref
from lib import firestore as db
from lib.config import settings
from tests.conftest import AppUser, GatewayClient

NOTIFICATIONS = "/google-play/notifications"


def local(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = requests.request(method, settings().google_play_api_base + path, timeout=60, **kwargs)
    response.raise_for_status()
    return dict(response.json())


def account_id(gateway: GatewayClient, user: AppUser) -> str:
    """The obfuscatedAccountId the app sets on the user's purchases."""
    response = gateway.get("/v1/billing/store-account", headers=user.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["obfuscated_account_id"])


def buy(account: str | None, *, deliver: bool = True, pending: bool = False) -> dict[str, Any]:
    """A purchase at the local Google Play; its SUBSCRIPTION_PURCHASED notification pushed unless
    `deliver` is false (published only) or the purchase is pending (none is sent)."""
    return local(
        "POST", "/_local/purchases", json={"obfuscated_account_id": account, "deliver": deliver, "pending": pending}
    )


def move(token: str, action: str, *, deliver: bool = True) -> dict[str, Any]:
    """A lifecycle step: renew, grace, hold, pause, cancel, restart, expire, revoke, refund,
    complete_pending, cancel_pending."""
    return local("POST", f"/_local/purchases/{token}/{action}", json={"deliver": deliver})


def purchase(token: str) -> dict[str, Any]:
    """The purchase as the local Google Play holds it now (its subscriptionsv2 resource)."""
    return local("GET", f"/_local/purchases/{token}")


def push_again(message_id: str) -> dict[str, Any]:
    return dict(local("POST", f"/_local/notifications/{message_id}/push")["delivery"])


def push_body(message_id: str) -> dict[str, Any]:
    return local("GET", f"/_local/notifications/{message_id}")


def issuer_token(audience: str, email: str) -> str:
    return str(local("POST", "/_local/oidc_token", json={"audience": audience, "email": email})["token"])


def view(token: str) -> dict[str, Any] | None:
    """The stored purchase (store_purchases/...), None when nothing was recorded."""
    return view_ref(Store.GOOGLE_PLAY, token).get().to_dict()


def notification_record(message_id: str) -> dict[str, Any] | None:
    return db.client().collection(NOTIFICATIONS_COLLECTION).document(message_id).get().to_dict()


def entitlement(uid: str) -> dict[str, Any]:
    return db.client().collection("entitlements").document(uid).get().to_dict() or {}


def stored_state(token: str) -> str | None:
    """The state of the purchase's stored view, None when nothing was recorded."""
    stored = view(token) or {}
    return str(stored["view"]["state"]) if stored.get("view") else None


def stored_uid(token: str) -> str | None:
    return (view(token) or {}).get("uid")


def applied(message_id: str) -> int:
    """How many times processing ran for the message (0 when never recorded)."""
    return int((notification_record(message_id) or {}).get("applied", 0))
