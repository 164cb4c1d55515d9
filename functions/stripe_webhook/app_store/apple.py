"""The App Store Server API and Apple's signatures, through app-store-server-library only.

One API client and one signature verifier per process, made from settings on first use. The
client's failures become the API's errors: a transaction Apple does not know is `NotFound`, a
refused request `InvalidArgument`, anything that may pass on a retry `Unavailable`.
"""

from __future__ import annotations

import functools

import requests
from appstoreserverlibrary.api_client import APIError, APIException, AppStoreServerAPIClient
from appstoreserverlibrary.models.Environment import Environment
from appstoreserverlibrary.models.StatusResponse import StatusResponse
from appstoreserverlibrary.signed_data_verifier import SignedDataVerifier

from functions.stripe_webhook.app_store import trust
from lib import errors, log
from lib.config import settings

_logger = log.get_logger("app_store")
# A malformed id (Apple's ids are digits) names no transaction either: the purchase route's schema
# takes any store's id text, so it answers 404 like an unknown one, not 400.
_NOT_FOUND = frozenset(
    {APIError.TRANSACTION_ID_NOT_FOUND, APIError.ORIGINAL_TRANSACTION_ID_NOT_FOUND, APIError.INVALID_TRANSACTION_ID}
)


class _ClientAt(AppStoreServerAPIClient):
    """The library's client at another address. It builds every URL from `_base_url`, which its
    constructor sets from the environment, so setting it reaches the local App Store with every
    request method left as the library wrote it (docs/decisions/0023-local-app-store-and-trust-roots.md)."""

    def __init__(
        self, base_url: str, signing_key: bytes, key_id: str, issuer_id: str, bundle_id: str, environment: Environment
    ) -> None:
        super().__init__(signing_key, key_id, issuer_id, bundle_id, environment)
        self._base_url = base_url.rstrip("/")


@functools.cache
def client() -> AppStoreServerAPIClient:
    config = settings()
    key = config.app_store_private_key.encode()
    ids = (config.app_store_key_id, config.app_store_issuer_id, config.app_store_bundle_id)
    environment = Environment(config.app_store_environment)
    if config.app_store_api_base:
        return _ClientAt(config.app_store_api_base, key, *ids, environment)
    return AppStoreServerAPIClient(key, *ids, environment)


@functools.cache
def verifier() -> SignedDataVerifier:
    """Checks each JWS's chain against the trusted roots, its bundle id, app id and environment.
    Online checks (OCSP at Apple) run wherever Apple's roots are trusted; the local chain has no
    responder."""
    config = settings()
    return SignedDataVerifier(
        trust.trusted_roots(config),
        enable_online_checks=not config.app_store_local_chain,
        environment=Environment(config.app_store_environment),
        bundle_id=config.app_store_bundle_id,
        app_apple_id=config.app_store_app_apple_id,
    )


def statuses_of(transaction_id: str) -> StatusResponse:
    """Get All Subscription Statuses for any of the customer's transaction ids."""
    try:
        return client().get_all_subscription_statuses(transaction_id)
    except APIException as exc:
        raise _api_error(exc, transaction_id) from exc
    except requests.RequestException as exc:
        raise errors.Unavailable("the App Store is unavailable; retry shortly") from exc


def signed_transaction(transaction_id: str) -> str:
    """Get Transaction Info: the transaction's JWS."""
    try:
        info = client().get_transaction_info(transaction_id)
    except APIException as exc:
        raise _api_error(exc, transaction_id) from exc
    except requests.RequestException as exc:
        raise errors.Unavailable("the App Store is unavailable; retry shortly") from exc
    if not info.signedTransactionInfo:
        raise errors.Unavailable("the App Store answered without the transaction; retry shortly")
    return info.signedTransactionInfo


def _api_error(exc: APIException, transaction_id: str) -> errors.ApiError:
    fields = {"status": exc.http_status_code, "error_code": exc.raw_api_error}
    if exc.api_error in _NOT_FOUND or exc.http_status_code == 404:
        return errors.NotFound(f"the App Store knows no transaction {transaction_id!r}")
    if exc.http_status_code == 400:
        return errors.InvalidArgument(f"the App Store refused transaction id {transaction_id!r}")
    # 401 is our key or its ids: an operator's fix, logged loudly; Apple's 429 and 5xx pass.
    level = 40 if exc.http_status_code == 401 else 30
    _logger.log(level, "the App Store refused a request", extra={"fields": fields})
    return errors.Unavailable("the App Store is unavailable; retry shortly")
