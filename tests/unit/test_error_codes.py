"""gateway/error_codes.py: the one table of error codes, whether to retry each, and which
routes answer which; /openapi.json and docs/api.md show it."""

from __future__ import annotations

import inspect
from pathlib import Path

from gateway import error_codes, openapi
from lib import errors, routing

ROOT = Path(__file__).resolve().parents[2]
# Bases that name a family; no route raises them as such.
BASES = {errors.ApiError, errors.Unauthenticated}


def _error_classes() -> set[type[errors.ApiError]]:
    return {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.ApiError) and cls not in BASES
    }


def test_every_code_in_the_table_is_a_code_of_lib_errors() -> None:
    codes = {cls.code: cls.status for cls in _error_classes()}
    assert {entry.code: entry.status for entry in error_codes.CODES}.items() <= codes.items()


def test_every_error_of_lib_errors_is_in_the_table() -> None:
    assert {entry.error for entry in error_codes.CODES} == _error_classes()


def test_route_specific_errors_name_routes_of_the_table() -> None:
    assert set(error_codes.ROUTE_ERRORS) <= {route.name for route in routing.routes()}


def test_docs_api_shows_the_table() -> None:
    assert error_codes.markdown_table() in (ROOT / "docs" / "api.md").read_text()


def test_every_error_response_names_its_codes_and_their_retry() -> None:
    for route in routing.routes():
        operation = openapi.document()["paths"][route.template][route.method.lower()]
        listed = {
            item["code"]
            for status, response in operation["responses"].items()
            if int(status) >= 400
            for item in response.get("x-error-codes", [])
        }
        assert listed == {entry.code for entry in error_codes.route_codes(route)}, route.name


def test_an_expired_token_is_retried_once_after_a_refresh_and_503_429_after_retry_after() -> None:
    assert error_codes.BY_CODE["auth/id-token-expired"].retry is error_codes.Retry.REFRESH_TOKEN_ONCE
    assert error_codes.BY_CODE["unavailable"].retry is error_codes.Retry.AFTER_RETRY_AFTER
    assert error_codes.BY_CODE["rate-limited"].retry is error_codes.Retry.AFTER_RETRY_AFTER
    assert error_codes.BY_CODE["auth/id-token-revoked"].retry is error_codes.Retry.SIGN_IN_AGAIN


def test_the_profile_change_limit_and_an_existing_subscription_are_their_routes_409() -> None:
    paths = openapi.document()["paths"]
    assert [c["code"] for c in paths["/v1/me"]["patch"]["responses"]["409"]["x-error-codes"]] == [
        "profile/day-rule-changed-recently"
    ]
    checkout = paths["/v1/billing/checkout-session"]["post"]["responses"]["409"]
    assert [c["code"] for c in checkout["x-error-codes"]] == ["billing/subscription-exists"]
