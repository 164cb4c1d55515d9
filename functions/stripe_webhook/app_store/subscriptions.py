"""A subscription's state now, asked from the App Store Server API, never taken from a
notification: notifications arrive late, twice and out of order."""

from __future__ import annotations

from appstoreserverlibrary.models.JWSTransactionDecodedPayload import JWSTransactionDecodedPayload
from appstoreserverlibrary.models.Type import Type
from appstoreserverlibrary.signed_data_verifier import VerificationException, VerificationStatus

from functions.stripe_webhook.app_store import apple, states
from functions.stripe_webhook.store_subscription import StoreSubscription
from lib import errors, log

_logger = log.get_logger("app_store")


def verified_transaction(signed_transaction: str) -> JWSTransactionDecodedPayload:
    """A transaction JWS from Apple's API, checked as Apple's notifications are."""
    try:
        return apple.verifier().verify_and_decode_signed_transaction(signed_transaction)
    except VerificationException as exc:
        raise _unverified_answer(exc) from exc


def subscription_now(original_transaction_id: str) -> StoreSubscription:
    """The subscription of `original_transaction_id` as the App Store reports it now."""
    response = apple.statuses_of(original_transaction_id)
    items = [item for group in response.data or [] for item in group.lastTransactions or []]
    item = next((i for i in items if i.originalTransactionId == original_transaction_id), None)
    if item is None or not item.signedTransactionInfo:
        raise errors.InvalidArgument(f"{original_transaction_id!r} is not an App Store subscription of this app")
    try:
        transaction = apple.verifier().verify_and_decode_signed_transaction(item.signedTransactionInfo)
        renewal = (
            apple.verifier().verify_and_decode_renewal_info(item.signedRenewalInfo) if item.signedRenewalInfo else None
        )
    except VerificationException as exc:
        raise _unverified_answer(exc) from exc
    return states.subscription_from(item.status, transaction, renewal)


def is_subscription(transaction: JWSTransactionDecodedPayload) -> bool:
    return transaction.type is Type.AUTO_RENEWABLE_SUBSCRIPTION


def _unverified_answer(exc: VerificationException) -> errors.ApiError:
    """Apple's own API answered with data that does not verify: a misconfigured bundle id or
    environment (or an answer not from Apple), for an operator; nothing is written."""
    if exc.status is not VerificationStatus.RETRYABLE_VERIFICATION_FAILURE:
        _logger.error("an App Store API answer failed verification", extra={"fields": {"status": exc.status.name}})
    return errors.Unavailable("the App Store's answer could not be verified; retry shortly")
