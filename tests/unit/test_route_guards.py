"""Every route of the table is guarded as its `auth` says, by `serve` itself: each deployed
entry point is built from its functions/<f>/main.py and called without a token and with a garbage
token (tests/component/test_route_guards_process.py: the calls that reach a server)."""

from __future__ import annotations

import dataclasses

import pytest

from lib import firestore, routing
from tests.support.entry_points import client_for, sample_path

ROUTES = [r for r in routing.routes() if r.function != "gateway"]
USER_ROUTES = [r for r in ROUTES if r.auth in ("user", "user_revoked")]
INTERNAL_ROUTES = [r for r in ROUTES if r.auth == "internal"]
SELF_VERIFIED = [r for r in ROUTES if r.auth in ("stripe", "app_store_signature", "identity_platform")]
PUSH_ROUTES = [r for r in ROUTES if r.auth == "pubsub_push"]
SELF_VERIFIED = [r for r in ROUTES if r.auth in ("stripe", "identity_platform")]


@pytest.fixture
def firestore_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def client() -> object:
        calls.append("client")
        raise AssertionError("handler code ran")

    monkeypatch.setattr(firestore, "client", client)
    return calls


def test_the_table_has_routes_of_each_guarded_kind() -> None:
    assert USER_ROUTES
    assert INTERNAL_ROUTES
    assert PUSH_ROUTES
    assert SELF_VERIFIED
    kinds = {
        "user",
        "user_revoked",
        "internal",
        "pubsub_push",
        "stripe",
        "app_store_signature",
        "identity_platform",
        "none",
    }
    assert {r.auth for r in ROUTES} <= kinds


@pytest.mark.parametrize("route", USER_ROUTES, ids=lambda r: r.name)
def test_a_user_route_without_a_token_is_401_missing_token(route: routing.Route, firestore_calls: list[str]) -> None:
    answer = client_for(route).open(sample_path(route), method=route.method, json={})
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (401, "auth/missing-token")
    assert answer.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert firestore_calls == []


@pytest.mark.parametrize("route", USER_ROUTES, ids=lambda r: r.name)
def test_a_user_route_with_a_garbage_token_is_401_invalid_id_token(
    route: routing.Route, firestore_calls: list[str]
) -> None:
    answer = client_for(route).open(
        sample_path(route), method=route.method, json={}, headers={"Authorization": "Bearer not-a-token"}
    )
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (401, "auth/invalid-id-token")
    assert firestore_calls == []


@pytest.mark.parametrize("route", INTERNAL_ROUTES, ids=lambda r: r.name)
def test_an_internal_route_refuses_a_caller_off_the_local_machine(
    route: routing.Route, firestore_calls: list[str]
) -> None:
    answer = client_for(route, remote_addr="10.1.2.3").open(sample_path(route), method=route.method, json={})
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "permission-denied")
    assert firestore_calls == []


@pytest.mark.parametrize("route", PUSH_ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize(
    ("header", "code"), [(None, "auth/missing-token"), ("Basic dXNlcjpwYXNz", "auth/invalid-oidc-token")]
)
def test_a_push_route_without_a_bearer_token_is_401_even_from_the_local_machine(
    route: routing.Route, header: str | None, code: str, firestore_calls: list[str]
) -> None:
    """A Pub/Sub push route checks its OIDC token locally too: loopback is no proof."""
    headers = {"Authorization": header} if header else {}
    answer = client_for(route).open(sample_path(route), method=route.method, json={}, headers=headers)
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (401, code)
    assert firestore_calls == []


@pytest.mark.parametrize("route", SELF_VERIFIED, ids=lambda r: r.name)
def test_a_self_verified_route_gets_no_token_check_from_serve(route: routing.Route) -> None:
    """Its handler checks the Stripe signature, the App Store's signed payload or the
    blocking-function call itself: 400, not 401."""
    answer = client_for(route, remote_addr="10.1.2.3").open(sample_path(route), method=route.method, data=b"")
    assert answer.status_code == 400
    assert not answer.get_json()["error"]["code"].startswith("auth/")


@pytest.mark.parametrize("kind", ["cdn_signature", "bearer", ""])
def test_a_route_whose_auth_serve_does_not_know_fails_at_serve(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tuple(dataclasses.replace(r, auth=kind) if r.name == "streak_get" else r for r in routing.routes())
    monkeypatch.setattr(routing, "routes", lambda: table)
    with pytest.raises(ValueError, match="streak_get"):
        routing.serve("streaks", "streaks", {"checkin_create": lambda r, c: {}, "streak_get": lambda r, c: {}})
