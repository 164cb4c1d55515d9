"""Apple's subscription status, as Get All Subscription Statuses reports it, as a StoreSubscription.

| Apple `status` (and condition) | StoreState |
|---|---|
| 1 active, `autoRenewStatus` 1 | ACTIVE |
| 1 active, `autoRenewStatus` 0 | CANCELED (access until `expiresDate`) |
| 2 expired | EXPIRED |
| 3 billing retry | ON_HOLD |
| 4 billing grace period | GRACE (access until `gracePeriodExpiresDate`) |
| 5 revoked, or any status with a `revocationDate` (a refund) | REVOKED |
"""

from __future__ import annotations

from datetime import UTC, datetime

from appstoreserverlibrary.models.AutoRenewStatus import AutoRenewStatus
from appstoreserverlibrary.models.JWSRenewalInfoDecodedPayload import JWSRenewalInfoDecodedPayload
from appstoreserverlibrary.models.JWSTransactionDecodedPayload import JWSTransactionDecodedPayload
from appstoreserverlibrary.models.Status import Status

from functions.stripe_webhook.store_subscription import Store, StoreState, StoreSubscription

_BY_STATUS = {
    Status.EXPIRED: StoreState.EXPIRED,
    Status.BILLING_RETRY: StoreState.ON_HOLD,
    Status.BILLING_GRACE_PERIOD: StoreState.GRACE,
    Status.REVOKED: StoreState.REVOKED,
}


def instant(milliseconds: int | None) -> datetime | None:
    """Apple's dates are milliseconds since the epoch."""
    return None if milliseconds is None else datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


def state_of(
    status: Status | None, transaction: JWSTransactionDecodedPayload, renewal: JWSRenewalInfoDecodedPayload | None
) -> StoreState:
    """The table above. A status this code does not know grants nothing."""
    if transaction.revocationDate is not None:
        return StoreState.REVOKED
    if status is Status.ACTIVE:
        renews = renewal is not None and renewal.autoRenewStatus is AutoRenewStatus.ON
        return StoreState.ACTIVE if renews else StoreState.CANCELED
    return _BY_STATUS.get(status, StoreState.EXPIRED) if status is not None else StoreState.EXPIRED


def subscription_from(
    status: Status | None, transaction: JWSTransactionDecodedPayload, renewal: JWSRenewalInfoDecodedPayload | None
) -> StoreSubscription:
    state = state_of(status, transaction, renewal)
    grace_until = instant(renewal.gracePeriodExpiresDate) if renewal and state is StoreState.GRACE else None
    if not transaction.originalTransactionId or not transaction.productId:
        raise ValueError("an App Store transaction names its original transaction and its product")
    return StoreSubscription(
        store=Store.APP_STORE,
        purchase_id=transaction.originalTransactionId,
        account_token=transaction.appAccountToken,
        product_id=transaction.productId,
        state=state,
        expires_at=instant(transaction.expiresDate),
        grace_until=grace_until,
        environment=transaction.rawEnvironment or "",
    )
