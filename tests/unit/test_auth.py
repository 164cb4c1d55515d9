import pytest

from devstack.emulator_tokens import unsigned_jwt as unverified_jwt
from lib import errors
from lib.auth import bearer_token, unverified_expiry


def _token(claims: object) -> str:
    return unverified_jwt(claims)


def test_missing_header_is_missing_token() -> None:
    with pytest.raises(errors.MissingToken):
        bearer_token(None)


@pytest.mark.parametrize("header", ["Bearer", "Bearer   ", "Token abc", "abc"])
def test_a_header_that_is_not_bearer_is_invalid(header: str) -> None:
    with pytest.raises(errors.InvalidIdToken):
        bearer_token(header)


def test_bearer_scheme_is_case_insensitive() -> None:
    assert bearer_token("bearer abc.def.ghi") == "abc.def.ghi"


def test_expiry_is_read_from_the_token_itself() -> None:
    assert unverified_expiry(_token({"exp": 1234})) == 1234.0


@pytest.mark.parametrize("claims", [{}, {"exp": "soon"}, {"exp": True}, ["exp"]])
def test_a_token_without_a_numeric_expiry_is_invalid(claims: object) -> None:
    with pytest.raises(errors.InvalidIdToken):
        unverified_expiry(_token(claims))


@pytest.mark.parametrize("token", ["", "abc", "a.!!!.c", "a.bm90IGpzb24.c"])
def test_garbage_is_invalid_not_a_crash(token: str) -> None:
    with pytest.raises(errors.InvalidIdToken):
        unverified_expiry(token)


def test_an_unauthenticated_error_has_a_code_of_its_own() -> None:
    error = errors.Unauthenticated("x")
    assert (error.status, error.code) == (401, "auth/unauthenticated")


def test_every_401_asks_the_app_to_refresh() -> None:
    for error_type in (errors.MissingToken, errors.InvalidIdToken, errors.IdTokenExpired, errors.IdTokenRevoked):
        error = error_type("x")
        assert error.status == 401
        assert error.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
