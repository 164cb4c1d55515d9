"""Helpers for App Store tests: the local App Store's controls and what the stack stored."""

from __future__ import annotations

from typing import Any

import requests

from functions.stripe_webhook import store_accounts, store_views
from functions.stripe_webhook.app_store.notifications import COLLECTION
from functions.stripe_webhook.store_subscription import Store
from lib import firestore as db
from lib.config import settings


def local_store(path: str, **body: Any) -> dict[str, Any]:
    """POST to one of the local App Store's /_local controls; its answer."""
    response = requests.post(f"{settings().app_store_api_base}/_local{path}", json=body, timeout=60)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def buy(uid: str | None, **body: Any) -> dict[str, Any]:
    """A purchase in the app, with the account token the app asks for (none when `uid` is None)."""
    token = store_accounts.token_for(uid) if uid else None
    return local_store("/subscriptions", app_account_token=token, **body)


def step(original_transaction_id: str, name: str, **body: Any) -> dict[str, Any]:
    """A lifecycle step: renew, fail_renewal (grace), end_grace, expire, auto_renew (on), refund, revoke."""
    return local_store(f"/subscriptions/{original_transaction_id}/{name}", **body)


def send(notification_uuid: str) -> int:
    """Posts a notification the local App Store made (again); the status the stack answered."""
    return int(local_store(f"/notifications/{notification_uuid}/send")["status"])


def purchase(original_transaction_id: str) -> dict[str, Any]:
    """store_purchases/app_store:{id} as stored, {} when absent."""
    return store_views.ref(Store.APP_STORE, original_transaction_id).get().to_dict() or {}


def notification_record(notification_uuid: str) -> dict[str, Any]:
    return db.client().collection(COLLECTION).document(notification_uuid).get().to_dict() or {}
