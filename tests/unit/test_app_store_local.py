"""The local App Store checks the API client's bearer token as Apple does, and the library's
client reaches it at the configured address (docs/decisions/0023-local-app-store-and-trust-roots.md)."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from appstoreserverlibrary.api_client import AppStoreServerAPIClient
from appstoreserverlibrary.models.Environment import Environment
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from devstack.app_store_server import bearer_valid
from functions.stripe_webhook.app_store import apple
from lib.config import Settings

CONFIG = Settings(environment="local")


def library_client(**changes: str | bytes) -> AppStoreServerAPIClient:
    fields = {
        "signing_key": CONFIG.app_store_private_key.encode(),
        "key_id": CONFIG.app_store_key_id,
        "issuer_id": CONFIG.app_store_issuer_id,
        "bundle_id": CONFIG.app_store_bundle_id,
        **changes,
    }
    return AppStoreServerAPIClient(environment=Environment.PRODUCTION, **fields)  # type: ignore[arg-type]


def bearer(client: AppStoreServerAPIClient) -> str:
    return client._get_headers()["Authorization"]


def test_the_librarys_own_token_is_accepted() -> None:
    assert bearer_valid(bearer(library_client()), CONFIG)


@pytest.mark.parametrize(
    "changes",
    [{"key_id": "OTHERKEY01"}, {"issuer_id": "another-issuer"}, {"bundle_id": "com.other.app"}],
    ids=["another_key_id", "another_issuer", "another_bundle"],
)
def test_a_token_naming_something_else_is_refused(changes: dict[str, str]) -> None:
    assert not bearer_valid(bearer(library_client(**changes)), CONFIG)


def test_a_token_signed_by_another_key_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert not bearer_valid(bearer(library_client(signing_key=pem)), CONFIG)


def signed_claims(**claims: Any) -> str:
    key = serialization.load_pem_private_key(CONFIG.app_store_private_key.encode(), password=None)
    base = {"iss": CONFIG.app_store_issuer_id, "aud": "appstoreconnect-v1", "bid": CONFIG.app_store_bundle_id}
    token = jwt.encode({**base, **claims}, key, algorithm="ES256", headers={"kid": CONFIG.app_store_key_id})  # type: ignore[arg-type]
    return f"Bearer {token}"


def test_an_expired_token_is_refused() -> None:
    assert not bearer_valid(signed_claims(exp=int(time.time()) - 10), CONFIG)


def test_a_token_valid_for_more_than_an_hour_is_refused() -> None:
    now = time.time()
    assert bearer_valid(signed_claims(exp=int(now) + 3500), CONFIG, now=now)
    assert not bearer_valid(signed_claims(exp=int(now) + 3700), CONFIG, now=now)


def test_a_token_for_another_audience_is_refused() -> None:
    assert not bearer_valid(signed_claims(exp=int(time.time()) + 60, aud="another"), CONFIG)


@pytest.mark.parametrize("header", [None, "", "Basic x", "Bearer ", "Bearer not-a-jwt"])
def test_a_missing_or_malformed_authorization_is_refused(header: str | None) -> None:
    assert not bearer_valid(header, CONFIG)


def test_the_librarys_client_builds_its_urls_from_the_configured_base() -> None:
    client = apple._ClientAt(
        "http://127.0.0.1:1/",
        CONFIG.app_store_private_key.encode(),
        CONFIG.app_store_key_id,
        CONFIG.app_store_issuer_id,
        CONFIG.app_store_bundle_id,
        Environment.PRODUCTION,
    )
    assert client._get_full_url("/inApps/v1/subscriptions/1") == "http://127.0.0.1:1/inApps/v1/subscriptions/1"
