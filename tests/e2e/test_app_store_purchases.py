"""The app reports an App Store purchase (POST /v1/billing/store-purchases) before or after
Apple's notification: either way the App Store Server API decides, the purchase is bound to the
caller once, and another account cannot take it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from lib.config import settings
from tests.conftest import AppUser, GatewayClient, MakeUser
from tests.support.app_store import local_store, notification_record, purchase, send


def app_account_token(gateway: GatewayClient, user: AppUser) -> str:
    response = gateway.get("/v1/billing/store-account", headers=user.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["app_account_token"])


def report(gateway: GatewayClient, user: AppUser, transaction_id: str) -> requests.Response:
    body = {"store": "app_store", "purchase_id": transaction_id}
    return gateway.post("/v1/billing/store-purchases", headers=user.headers, json=body)


def bought_in_app(gateway: GatewayClient, user: AppUser, *, deliver: bool) -> dict[str, Any]:
    """The app asks for its account token and buys with it, as docs/app-store.md tells it to."""
    return local_store("/subscriptions", app_account_token=app_account_token(gateway, user), deliver=deliver)


@pytest.fixture
def apple_fault() -> Iterator[None]:
    yield
    requests.put(f"{settings().app_store_api_base}/_local/faults", json={}, timeout=10)


def test_a_purchase_reported_before_its_notification_is_premium_at_once(gateway: GatewayClient, user: AppUser) -> None:
    bought = bought_in_app(gateway, user, deliver=False)
    response = report(gateway, user, bought["transaction_id"])
    assert response.status_code == 200, response.text
    assert response.json()["plan"] == "premium"
    assert send(bought["notification_uuid"]) == 200
    assert notification_record(bought["notification_uuid"])["applied"] == 1
    assert purchase(bought["original_transaction_id"])["uid"] == user.uid
    assert gateway.get("/v1/entitlement", headers=user.headers).json()["plan"] == "premium"


def test_a_purchase_reported_after_its_notification_answers_the_same_entitlement(
    gateway: GatewayClient, user: AppUser
) -> None:
    bought = bought_in_app(gateway, user, deliver=True)
    assert bought["delivery_status"] == 200
    response = report(gateway, user, bought["transaction_id"])
    assert response.status_code == 200, response.text
    assert response.json()["plan"] == "premium"
    assert purchase(bought["original_transaction_id"])["uid"] == user.uid


def test_a_renewal_transaction_reported_finds_its_subscription(gateway: GatewayClient, user: AppUser) -> None:
    bought = bought_in_app(gateway, user, deliver=True)
    renewed = local_store(f"/subscriptions/{bought['original_transaction_id']}/renew")
    assert renewed["transaction_id"] != bought["transaction_id"]
    response = report(gateway, user, renewed["transaction_id"])
    assert response.status_code == 200, response.text
    assert response.json()["plan"] == "premium"


def test_a_purchase_without_an_account_token_is_bound_to_the_account_that_reports_it(
    gateway: GatewayClient, user: AppUser
) -> None:
    bought = local_store("/subscriptions", deliver=True)
    assert purchase(bought["original_transaction_id"])["uid"] is None
    response = report(gateway, user, bought["transaction_id"])
    assert response.status_code == 200, response.text
    assert response.json()["plan"] == "premium"
    assert purchase(bought["original_transaction_id"])["uid"] == user.uid


def test_another_accounts_purchase_is_refused(gateway: GatewayClient, user: AppUser, make_user: MakeUser) -> None:
    bought = bought_in_app(gateway, user, deliver=True)
    other = make_user("Other")
    response = report(gateway, other, bought["transaction_id"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "billing/purchase-owned"
    assert gateway.get("/v1/entitlement", headers=other.headers).json()["plan"] == "free"


# Apple's transaction ids are digits; the route's schema takes either store's id, so a malformed
# one is a transaction Apple does not know, as schemathesis expects of a schema-valid request.
@pytest.mark.parametrize("transaction_id", ["999999999999", "L-0r"])
def test_a_transaction_apple_does_not_know_is_not_found(
    gateway: GatewayClient, user: AppUser, transaction_id: str
) -> None:
    response = report(gateway, user, transaction_id)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not-found"


@pytest.mark.usefixtures("apple_fault")
def test_an_app_store_that_fails_answers_unavailable(gateway: GatewayClient, user: AppUser) -> None:
    bought = bought_in_app(gateway, user, deliver=False)
    requests.put(f"{settings().app_store_api_base}/_local/faults", json={"status": 500}, timeout=10)
    response = report(gateway, user, bought["transaction_id"])
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert purchase(bought["original_transaction_id"]) == {}
