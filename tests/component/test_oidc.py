"""The caller check of internal routes in the cloud: a Google-signed OIDC token for the function's
own URL from one of its calling service accounts, checked against certificates served here."""

from __future__ import annotations

from collections.abc import Iterator

import flask
import pytest

from devstack.emulator_tokens import unsigned_jwt
from lib import errors, oidc, routing
from lib.config import Settings
from tests.support.oidc import certs_server, oidc_token

AUDIENCE = "https://reminders-sweep-123456789012.europe-west1.run.app"
SCHEDULER = "scheduler-caller@wellness-prod.iam.gserviceaccount.com"
CALLERS = frozenset({SCHEDULER})


@pytest.fixture(scope="module")
def certs_url() -> Iterator[str]:
    with certs_server() as url:
        yield url


def _check(header: str | None, certs_url: str) -> str:
    return oidc.verified_caller(header, audience=AUDIENCE, callers=CALLERS, certs_url=certs_url)


def _refusal(header: str | None, certs_url: str) -> tuple[int, str]:
    with pytest.raises(errors.ApiError) as refused:
        _check(header, certs_url)
    return refused.value.status, refused.value.code


def test_a_token_of_the_calling_account_for_this_function_passes(certs_url: str) -> None:
    assert _check(f"Bearer {oidc_token(AUDIENCE, SCHEDULER)}", certs_url) == SCHEDULER


def test_a_token_for_another_audience_is_401(certs_url: str) -> None:
    token = oidc_token("https://reminders-tick-123456789012.europe-west1.run.app", SCHEDULER)
    assert _refusal(f"Bearer {token}", certs_url) == (401, "auth/invalid-oidc-token")


def test_a_token_for_the_task_url_with_its_path_is_401(certs_url: str) -> None:
    """Cloud Tasks' default audience is the whole task URL; lib.tasks names the function's URL."""
    token = oidc_token(f"{AUDIENCE}/internal/reminders/sweep", SCHEDULER)
    assert _refusal(f"Bearer {token}", certs_url) == (401, "auth/invalid-oidc-token")


def test_a_token_of_another_account_is_403(certs_url: str) -> None:
    token = oidc_token(AUDIENCE, "someone@wellness-prod.iam.gserviceaccount.com")
    assert _refusal(f"Bearer {token}", certs_url) == (403, "auth/caller-not-allowed")


def test_a_token_whose_email_is_not_verified_is_403(certs_url: str) -> None:
    token = oidc_token(AUDIENCE, SCHEDULER, email_verified=False)
    assert _refusal(f"Bearer {token}", certs_url) == (403, "auth/caller-not-allowed")


def test_an_expired_token_is_401(certs_url: str) -> None:
    token = oidc_token(AUDIENCE, SCHEDULER, iat=1_700_000_000, exp=1_700_003_600)
    assert _refusal(f"Bearer {token}", certs_url) == (401, "auth/invalid-oidc-token")


def test_a_token_not_issued_by_google_is_401(certs_url: str) -> None:
    token = oidc_token(AUDIENCE, SCHEDULER, iss="https://securetoken.google.com/wellness-prod")
    assert _refusal(f"Bearer {token}", certs_url) == (401, "auth/invalid-oidc-token")


def test_an_unsigned_token_is_401(certs_url: str) -> None:
    claims = {"iss": "https://accounts.google.com", "aud": AUDIENCE, "email": SCHEDULER, "email_verified": True}
    token = unsigned_jwt({**claims, "iat": 1, "exp": 4_000_000_000})
    assert _refusal(f"Bearer {token}", certs_url) == (401, "auth/invalid-oidc-token")


@pytest.mark.parametrize(
    ("header", "code"),
    [(None, "auth/missing-token"), ("", "auth/missing-token"), ("Basic abc", "auth/invalid-oidc-token")],
)
def test_a_missing_or_non_bearer_header_is_401(header: str | None, code: str, certs_url: str) -> None:
    assert _refusal(header, certs_url) == (401, code)


def test_unreachable_certificates_are_503() -> None:
    token = oidc_token(AUDIENCE, SCHEDULER)
    assert _refusal(f"Bearer {token}", "http://127.0.0.1:9/certs") == (503, "unavailable")


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, certs_url: str) -> flask.testing.FlaskClient:
    """An internal entry point in production configuration, called from off the machine."""
    config = Settings(
        environment="production", internal_audience=AUDIENCE, internal_callers=SCHEDULER, oidc_certs_url=certs_url
    )
    monkeypatch.setattr(oidc, "settings", lambda: config)
    entry = routing.serve("reminders", "sweep", {"tokens_sweep": lambda request: {"swept": True}})
    app = flask.Flask("internal")
    app.add_url_rule("/<path:path>", "entry", lambda path: entry(flask.request), methods=["POST"])
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    return client


def test_in_production_an_internal_route_answers_its_caller_from_anywhere(
    production: flask.testing.FlaskClient,
) -> None:
    headers = {"Authorization": f"Bearer {oidc_token(AUDIENCE, SCHEDULER)}"}
    answer = production.post("/internal/reminders/sweep", headers=headers)
    assert (answer.status_code, answer.get_json()) == (200, {"swept": True})


def test_in_production_an_internal_route_without_a_token_is_401(production: flask.testing.FlaskClient) -> None:
    answer = production.post("/internal/reminders/sweep")
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (401, "auth/missing-token")


def test_in_production_an_internal_route_refuses_another_account(production: flask.testing.FlaskClient) -> None:
    headers = {"Authorization": f"Bearer {oidc_token(AUDIENCE, 'other@wellness-prod.iam.gserviceaccount.com')}"}
    answer = production.post("/internal/reminders/sweep", headers=headers)
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "auth/caller-not-allowed")
