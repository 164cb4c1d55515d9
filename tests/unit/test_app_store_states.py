"""Apple's subscription status as the entitlement's StoreState (the table in
functions/stripe_webhook/app_store/states.py and docs/app-store.md), one test per row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from appstoreserverlibrary.models.JWSRenewalInfoDecodedPayload import JWSRenewalInfoDecodedPayload
from appstoreserverlibrary.models.JWSTransactionDecodedPayload import JWSTransactionDecodedPayload
from appstoreserverlibrary.models.LibraryUtility import _get_cattrs_converter
from appstoreserverlibrary.models.Status import Status

from functions.stripe_webhook.app_store.states import subscription_from
from functions.stripe_webhook.store_subscription import Store, StoreState

EXPIRES_MS = 1_800_000_000_000
GRACE_MS = EXPIRES_MS + 16 * 24 * 3600 * 1000
TOKEN = "0b9c4d3e-1f2a-5b6c-8d7e-9f0a1b2c3d4e"


def transaction(**fields: Any) -> JWSTransactionDecodedPayload:
    raw = {
        "transactionId": "2000000000000002",
        "originalTransactionId": "2000000000000001",
        "productId": "premium.monthly",
        "expiresDate": EXPIRES_MS,
        "type": "Auto-Renewable Subscription",
        "environment": "Production",
        "appAccountToken": TOKEN,
        **fields,
    }
    return _get_cattrs_converter(JWSTransactionDecodedPayload).structure(raw, JWSTransactionDecodedPayload)


def renewal(auto_renew: int = 1, **fields: Any) -> JWSRenewalInfoDecodedPayload:
    raw = {"originalTransactionId": "2000000000000001", "autoRenewStatus": auto_renew, **fields}
    return _get_cattrs_converter(JWSRenewalInfoDecodedPayload).structure(raw, JWSRenewalInfoDecodedPayload)


@pytest.mark.parametrize(
    ("status", "renewal_info", "revoked", "state"),
    [
        (Status.ACTIVE, renewal(1), False, StoreState.ACTIVE),
        (Status.ACTIVE, renewal(0), False, StoreState.CANCELED),
        (Status.ACTIVE, None, False, StoreState.CANCELED),
        (Status.EXPIRED, renewal(0), False, StoreState.EXPIRED),
        (Status.BILLING_RETRY, renewal(1, isInBillingRetryPeriod=True), False, StoreState.ON_HOLD),
        (Status.BILLING_GRACE_PERIOD, renewal(1, gracePeriodExpiresDate=GRACE_MS), False, StoreState.GRACE),
        (Status.REVOKED, renewal(0), True, StoreState.REVOKED),
        (Status.ACTIVE, renewal(1), True, StoreState.REVOKED),
        (Status.EXPIRED, renewal(0), True, StoreState.REVOKED),
        (None, renewal(1), False, StoreState.EXPIRED),
    ],
    ids=[
        "active_renewing",
        "active_auto_renew_off",
        "active_without_renewal_info",
        "expired",
        "billing_retry",
        "billing_grace_period",
        "revoked",
        "refunded_while_active",
        "refunded_after_expiry",
        "unknown_status",
    ],
)
def test_each_apple_status_has_its_row(
    status: Status | None, renewal_info: JWSRenewalInfoDecodedPayload | None, revoked: bool, state: StoreState
) -> None:
    revocation = {"revocationDate": EXPIRES_MS - 1000} if revoked else {}
    assert subscription_from(status, transaction(**revocation), renewal_info).state is state


def test_a_subscription_names_its_original_transaction_product_token_and_period() -> None:
    subscription = subscription_from(Status.ACTIVE, transaction(), renewal(1))
    assert subscription.store is Store.APP_STORE
    assert subscription.purchase_id == "2000000000000001"
    assert subscription.account_token == TOKEN
    assert subscription.product_id == "premium.monthly"
    assert subscription.expires_at == datetime.fromtimestamp(EXPIRES_MS / 1000, tz=UTC)
    assert subscription.grace_until is None
    assert subscription.environment == "Production"


def test_grace_lasts_until_apples_grace_period_end() -> None:
    subscription = subscription_from(
        Status.BILLING_GRACE_PERIOD, transaction(), renewal(1, gracePeriodExpiresDate=GRACE_MS)
    )
    assert subscription.grace_until == datetime.fromtimestamp(GRACE_MS / 1000, tz=UTC)


def test_a_grace_end_outside_grace_is_not_carried() -> None:
    subscription = subscription_from(Status.BILLING_RETRY, transaction(), renewal(1, gracePeriodExpiresDate=GRACE_MS))
    assert subscription.grace_until is None


def test_a_transaction_without_its_original_id_is_refused() -> None:
    with pytest.raises(ValueError, match="original transaction"):
        subscription_from(Status.ACTIVE, transaction(originalTransactionId=None), renewal(1))
