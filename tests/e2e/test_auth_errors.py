"""Every protected route answers a bad token with 401/403, a stable code and WWW-Authenticate."""

from __future__ import annotations

import pytest
from firebase_admin import auth as fb_auth

from devstack import emulator_tokens
from lib import firebase, routing
from tests.conftest import AppUser, GatewayClient


def assert_auth_error(response: object, status: int, code: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.json() == {"error": {"code": code, "message": response.json()["error"]["message"]}}  # type: ignore[attr-defined]
    if status == 401:
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'  # type: ignore[attr-defined]


def test_missing_token_is_401_missing_token(gateway: GatewayClient) -> None:
    assert_auth_error(gateway.get("/v1/me"), 401, "auth/missing-token")


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "Bearer not-a-jwt", "Bearer a.b.c"])
def test_malformed_token_is_401_invalid(gateway: GatewayClient, header: str) -> None:
    assert_auth_error(gateway.get("/v1/me", headers={"Authorization": header}), 401, "auth/invalid-id-token")


def test_expired_token_is_401_expired_even_on_the_emulator(
    gateway: GatewayClient, user: AppUser, config: object
) -> None:
    token = emulator_tokens.id_token(user.uid, "demo-wellness", issued_s_ago=7200, lifetime_s=3600)
    response = gateway.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_auth_error(response, 401, "auth/id-token-expired")


def test_fresh_forged_token_passes_so_the_expiry_test_means_something(gateway: GatewayClient, user: AppUser) -> None:
    token = emulator_tokens.id_token(user.uid, "demo-wellness", issued_s_ago=0, lifetime_s=3600)
    assert gateway.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def revocable_user() -> tuple[str, dict[str, str]]:
    """A user and a token issued before now. Revocation is recorded in whole seconds, so a token must
    predate it; created without a password, the user has no earlier record for the token to predate."""
    uid = fb_auth.create_user(app=firebase.app()).uid
    token = emulator_tokens.id_token(uid, "demo-wellness", issued_s_ago=10, lifetime_s=3600)
    return uid, {"Authorization": f"Bearer {token}"}


def test_revoked_token_is_401_revoked(gateway: GatewayClient) -> None:
    uid, headers = revocable_user()
    assert gateway.get("/v1/me", headers=headers).status_code == 200
    fb_auth.revoke_refresh_tokens(uid, app=firebase.app())
    assert_auth_error(gateway.get("/v1/me", headers=headers), 401, "auth/id-token-revoked")


def test_disabled_user_is_403_user_disabled(gateway: GatewayClient, user: AppUser) -> None:
    fb_auth.update_user(user.uid, disabled=True, app=firebase.app())
    assert_auth_error(gateway.get("/v1/me", headers=user.headers), 403, "auth/user-disabled")


def test_token_of_another_project_is_invalid(gateway: GatewayClient, user: AppUser) -> None:
    token = emulator_tokens.id_token(user.uid, "some-other-project", issued_s_ago=0, lifetime_s=3600)
    assert_auth_error(gateway.get("/v1/me", headers={"Authorization": f"Bearer {token}"}), 401, "auth/invalid-id-token")


PROTECTED = [r for r in routing.routes() if r.auth in ("user", "user_revoked")]


def _call(gateway: GatewayClient, route: routing.Route, headers: dict[str, str]) -> object:
    path = route.path
    for name in route.path_params:
        path = path.replace("{" + name + "}", "x1")
    return gateway.request(route.method, path, headers=headers, json={})


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.name)
def test_every_protected_route_refuses_missing_expired_and_revoked_tokens(
    gateway: GatewayClient, route: routing.Route
) -> None:
    uid, headers = revocable_user()
    expired = emulator_tokens.id_token(uid, "demo-wellness", issued_s_ago=7200, lifetime_s=3600)
    assert_auth_error(_call(gateway, route, {}), 401, "auth/missing-token")
    assert_auth_error(_call(gateway, route, {"Authorization": f"Bearer {expired}"}), 401, "auth/id-token-expired")
    assert gateway.get("/v1/me", headers=headers).status_code == 200  # valid until revoked
    fb_auth.revoke_refresh_tokens(uid, app=firebase.app())
    assert_auth_error(_call(gateway, route, headers), 401, "auth/id-token-revoked")
