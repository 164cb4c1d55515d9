"""What an app developer generates a client from: every operation states its security, the
document names its server, and a response lists every field it always carries as required."""

from __future__ import annotations

from typing import Any

import pytest

from gateway import openapi
from lib import routing

DOC = openapi.document()
SCHEMES = DOC["components"]["securitySchemes"]


def _operation(route: routing.Route) -> dict[str, Any]:
    operation: dict[str, Any] = DOC["paths"][route.template][route.method.lower()]
    return operation


@pytest.mark.parametrize("route", routing.routes(), ids=lambda route: route.name)
def test_every_operation_states_its_security(route: routing.Route) -> None:
    security = _operation(route)["security"]
    assert all(set(requirement) <= set(SCHEMES) for requirement in security)
    if route.auth in ("user", "user_revoked"):
        assert security == [{"firebaseIdToken": []}]
    elif route.auth == "internal":
        assert security == [{"googleOidc": []}]
    elif route.auth == "stripe":
        assert security == [{"stripeSignature": []}]


def test_the_security_schemes_are_the_token_oidc_and_stripe_signature() -> None:
    assert SCHEMES["firebaseIdToken"] | {"description": ""} == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "",
    }
    assert SCHEMES["googleOidc"]["type"] == "openIdConnect"
    assert (SCHEMES["stripeSignature"]["in"], SCHEMES["stripeSignature"]["name"]) == ("header", "Stripe-Signature")


def test_public_operations_need_no_credentials() -> None:
    assert _operation(next(r for r in routing.routes() if r.name == "healthz"))["security"] == []


def test_the_document_names_its_server() -> None:
    assert DOC["servers"] == [{"url": "/", "description": "The host serving this document"}]


@pytest.mark.parametrize(
    ("schema", "fields"),
    [
        ("Profile", {"timezone", "day_start", "next_timezone_change_at", "reminder", "streak", "plan"}),
        ("DeletionReport", {"subscriptions_cancelled", "checkouts_expired", "customer_deleted"}),
        ("ReminderState", {"at_risk_time", "quiet_start", "quiet_end"}),
    ],
)
def test_fields_always_in_a_response_are_required(schema: str, fields: set[str]) -> None:
    assert fields <= set(DOC["components"]["schemas"][schema]["required"])


def test_every_response_property_is_required() -> None:
    response_models = {
        openapi.load_model(route.response_model).__name__ for route in routing.routes() if route.response_model
    }
    for name in response_models:
        schema = DOC["components"]["schemas"][name]
        assert set(schema.get("required", [])) == set(schema.get("properties", {})), name


def test_a_request_field_with_a_default_stays_optional() -> None:
    assert "required" not in DOC["components"]["schemas"]["ProfilePatch"]
