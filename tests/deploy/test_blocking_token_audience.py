"""Which URI Identity Platform must call the blocking functions at (terraform/identity.tf).

The blocking JWT's `aud` is the URI registered for the trigger, and firebase-functions'
verifier (firebase_functions/private/token_verifier.py, AuthBlockingTokenVerifier) accepts a
2nd-gen token only when that audience contains "run.app". Registering the function's
cloudfunctions.net `url` would fail every sign-up and sign-in with 'incorrect "aud"'.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import firebase_admin
import google.auth.credentials
import google.oauth2.id_token
import pytest
from firebase_admin import credentials
from firebase_functions.private import token_verifier

from devstack.emulator_tokens import unsigned_jwt
from lib.routing import ROUTES_FILE
from tests.support import terraform as tf

PROJECT = "wellness-prod"


class _NoCredential(credentials.Base):
    def get_credential(self) -> google.auth.credentials.Credentials:
        return google.auth.credentials.AnonymousCredentials()


@pytest.fixture
def verifier(monkeypatch: pytest.MonkeyPatch) -> Iterator[token_verifier.AuthBlockingTokenVerifier]:
    # The verifier skips its claim checks against the Auth emulator.
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    app = firebase_admin.initialize_app(_NoCredential(), {"projectId": PROJECT}, name="blocking-audience")
    try:
        yield token_verifier.AuthBlockingTokenVerifier(app)
    finally:
        firebase_admin.delete_app(app)


def _blocking_token(audience: str) -> str:
    now = int(time.time())
    claims = {
        "aud": audience,
        "iss": f"https://securetoken.google.com/{PROJECT}",
        "sub": "uid-1",
        "iat": now,
        "exp": now + 300,
        "event_type": "providers/cloud.auth/eventTypes/user.beforeCreate",
    }
    return unsigned_jwt(claims, header={"alg": "RS256", "kid": "key-1", "typ": "JWT"})


def test_the_verifier_expects_a_run_app_audience(verifier: token_verifier.AuthBlockingTokenVerifier) -> None:
    assert verifier.auth_blocking_token_verifier.expected_audience == "run.app"


def test_a_token_for_the_cloudfunctions_net_url_is_refused(verifier: token_verifier.AuthBlockingTokenVerifier) -> None:
    url = f"https://europe-west1-{PROJECT}.cloudfunctions.net/auth-hooks-before-create"
    with pytest.raises(token_verifier.InvalidAuthBlockingTokenError, match='incorrect "aud"'):
        verifier.verify_auth_blocking_token(_blocking_token(url))


def test_a_token_for_each_registered_trigger_uri_passes_the_audience_check(
    verifier: token_verifier.AuthBlockingTokenVerifier,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The URI Terraform registers (route path included) is the audience; only the signature
    check, which needs Google's keys, is left out."""

    def signature_not_checked(token: str, request: Any, audience: str | None, certs_url: str) -> dict[str, Any]:
        return dict(google.auth.jwt.decode(token, verify=False))

    monkeypatch.setattr(google.oauth2.id_token, "verify_token", signature_not_checked)
    triggers = tf.evaluate_locals(ROUTES_FILE, tmp_path_factory.mktemp("console"))["blocking_triggers"]
    assert triggers
    for trigger in triggers.values():
        claims = verifier.verify_auth_blocking_token(_blocking_token(trigger["function_uri"]))
        assert claims["aud"] == trigger["function_uri"]
