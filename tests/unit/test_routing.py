"""The entry-point machinery: dispatch by the route table and one JSON error shape."""

import dataclasses

import flask
import pytest
import stripe
import yaml
from firebase_admin import exceptions as fb_exc
from google.api_core import exceptions as gexc
from pydantic import BaseModel

from lib import errors, routing
from lib.http import parse_body

app = flask.Flask(__name__)
TABLE = routing.routes()


@pytest.fixture(autouse=True)
def _me_without_token_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about dispatch: the `me` routes here need no token (test_route_guards.py
    holds the checks)."""
    table = tuple(dataclasses.replace(r, auth="none") if r.entry_point == "me" else r for r in TABLE)
    monkeypatch.setattr(routing, "routes", lambda: table)


def _call(entry: object, method: str, path: str, body: bytes = b"") -> flask.Response:
    with app.test_request_context(path, method=method, data=body, content_type="application/json"):
        return entry(flask.request)  # type: ignore[operator, no-any-return]


class Body(BaseModel):
    name: str


def _handlers(**overrides: object) -> dict[str, object]:
    handlers: dict[str, object] = {
        "me_get": lambda request: {"ok": True},
        "me_patch": lambda request: parse_body(request, Body).model_dump(),
        "me_delete": lambda request: ({"deleted": True}, 202),
        "me_export": lambda request: {"documents": []},
        "healthz": lambda request: {"status": "ok"},
    }
    handlers.update(overrides)
    return handlers


def test_every_route_of_an_entry_point_needs_a_handler() -> None:
    with pytest.raises(LookupError, match="me_delete"):
        routing.serve("auth_hooks", "me", {"me_get": lambda r: {}, "me_patch": lambda r: {}})


def test_a_handler_reply_becomes_json_with_its_status() -> None:
    entry = routing.serve("auth_hooks", "me", _handlers())
    response = _call(entry, "DELETE", "/v1/me")
    assert (response.status_code, response.get_json()) == (202, {"deleted": True})


def test_an_api_error_becomes_the_json_error_shape() -> None:
    def conflict(request: flask.Request) -> object:
        raise errors.Conflict("already there")

    response = _call(routing.serve("auth_hooks", "me", _handlers(me_get=conflict)), "GET", "/v1/me")
    assert response.status_code == 409
    assert response.get_json() == {"error": {"code": "conflict", "message": "already there"}}


def test_an_unexpected_exception_is_a_json_500_without_details() -> None:
    def boom(request: flask.Request) -> object:
        raise RuntimeError("secret internals")

    response = _call(routing.serve("auth_hooks", "me", _handlers(me_get=boom)), "GET", "/v1/me")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal"
    assert "secret" not in response.get_data(as_text=True)


def test_unknown_path_and_wrong_method_are_json_404_and_405() -> None:
    entry = routing.serve("auth_hooks", "me", _handlers())
    assert _call(entry, "GET", "/v1/nothing").get_json()["error"]["code"] == "not-found"
    response = _call(entry, "PUT", "/v1/me")
    assert (response.status_code, response.get_json()["error"]["code"]) == (405, "method-not-allowed")
    assert response.headers["Allow"] == "DELETE, GET, HEAD, PATCH"


@pytest.mark.parametrize(
    ("body", "field"),
    [(b"{not json", "body"), (b"{}", "name"), (b'{"name": 3}', "name"), (b"[1]", "body"), (b"\xff\xfe", "body")],
)
def test_a_bad_body_is_400_naming_the_field(body: bytes, field: str) -> None:
    response = _call(routing.serve("auth_hooks", "me", _handlers()), "PATCH", "/v1/me", body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid-argument"
    assert error["message"].startswith(field)


def test_the_route_table_names_are_unique_and_paths_match_api_conventions() -> None:
    names = [r.name for r in routing.routes()]
    assert len(names) == len(set(names))
    assert all(
        r.path.startswith(
            (
                "/v1/",
                "/internal/",
                "/stripe/",
                "/app-store/",
                "/google-play/",
                "/healthz",
                "/openapi",
                "/docs",
                "/media/",
            )
        )
        for r in routing.routes()
    )


def test_the_route_table_reads_the_same_with_libyaml_and_the_pure_python_loader() -> None:
    text = routing.ROUTES_FILE.read_text()
    assert yaml.load(text, Loader=yaml.CSafeLoader) == yaml.safe_load(text)


@pytest.mark.parametrize(
    "error",
    [
        gexc.ServiceUnavailable("the database is down"),
        gexc.DeadlineExceeded("the database did not answer"),
        gexc.RetryError("retries ran out", cause=None),
        fb_exc.UnavailableError("Auth is down"),
        fb_exc.DeadlineExceededError("Auth did not answer"),
        stripe.APIConnectionError("Stripe did not answer"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_an_sdk_error_for_a_dependency_that_did_not_answer_is_503_unavailable(error: Exception) -> None:
    def down(request: flask.Request) -> object:
        raise error

    response = _call(routing.serve("auth_hooks", "me", _handlers(me_get=down)), "GET", "/v1/me")
    assert (response.status_code, response.get_json()["error"]["code"]) == (503, "unavailable")
    assert int(response.headers["Retry-After"]) >= 1
