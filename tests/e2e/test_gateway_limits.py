"""The gateway's own duties: 404/405 JSON, 413 and 429 with Retry-After, health and OpenAPI."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import AppUser, GatewayClient


def test_healthz_answers(gateway: GatewayClient) -> None:
    assert gateway.get("/healthz").json() == {"status": "ok", "firestore": True, "auth": True}


def test_unknown_route_is_json_404(gateway: GatewayClient) -> None:
    response = gateway.get("/v1/nothing-here")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not-found")


def test_wrong_method_is_json_405(gateway: GatewayClient) -> None:
    response = gateway.post("/v1/me")
    assert (response.status_code, response.json()["error"]["code"]) == (405, "method-not-allowed")
    assert response.headers["Allow"] == "DELETE, GET, HEAD, PATCH"


def test_a_body_over_the_limit_is_413(gateway: GatewayClient, user: AppUser, config: object) -> None:
    response = gateway.patch("/v1/me", headers=user.headers, data=b"{" + b" " * (70 * 1024) + b"}")
    assert (response.status_code, response.json()["error"]["code"]) == (413, "payload-too-large")


def test_a_chunked_body_over_the_limit_is_413(gateway: GatewayClient, user: AppUser) -> None:
    chunks = (b" " * 8192 for _ in range(10))
    response = gateway.patch("/v1/me", headers=user.headers, data=chunks)
    assert (response.status_code, response.json()["error"]["code"]) == (413, "payload-too-large")


def test_a_burst_past_the_app_limit_is_429_with_retry_after(gateway: GatewayClient) -> None:
    headers = {"Authorization": f"Bearer burst-{uuid.uuid4().hex}"}
    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(lambda _: gateway.get("/v1/me", headers=headers), range(300)))
    limited = [r for r in responses if r.status_code == 429]
    assert limited, "300 requests at once must exceed a burst of 60"
    assert all(r.json()["error"]["code"] == "rate-limited" for r in limited)
    assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)
    assert sum(r.status_code == 401 for r in responses) >= 60


def test_rate_limits_are_per_client_key(gateway: GatewayClient, user: AppUser) -> None:
    headers = {"Authorization": f"Bearer burst-{uuid.uuid4().hex}"}
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda _: gateway.get("/v1/me", headers=headers), range(200)))
    assert gateway.get("/v1/me", headers=user.headers).status_code == 200


def test_openapi_lists_every_route(gateway: GatewayClient) -> None:
    from lib import routing

    document = gateway.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    for route in routing.routes():
        assert route.method.lower() in document["paths"][route.template]


def test_a_path_with_control_characters_is_json_400(gateway: GatewayClient, user: AppUser) -> None:
    response = gateway.post("/v1/content/a%0Ab/access", headers=user.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid-argument")
