"""Which URI Identity Platform must call the blocking functions at (terraform/identity.tf).

The blocking JWT's `aud` is the URI registered for the trigger, and firebase-functions'
verifier (firebase_functions/private/token_verifier.py, AuthBlockingTokenVerifier) accepts a
2nd-gen token only when that audience contains "run.app". Registering the function's
cloudfunctions.net `url` would fail every sign-up and sign-in with 'incorrect "aud"'.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import firebase_admin
import google.auth.credentials
import pytest
from firebase_admin import credentials
from firebase_functions.private import token_verifier

from devstack.emulator_tokens import unsigned_jwt

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
