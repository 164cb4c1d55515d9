"""Every deployed function refuses a body over max_request_bytes with 413 before anything reads
or parses it: the blocking functions take traffic from the internet directly, not through the
gateway, and must not parse a large JSON body before checking the JWT."""

from __future__ import annotations

import importlib
import io
import re

import flask
import pytest

from lib import routing
from lib.config import settings

ROUTES = [r for r in routing.routes() if r.function != "gateway"]


def _client(route: routing.Route) -> flask.testing.FlaskClient:
    entry = getattr(importlib.import_module(f"functions.{route.function}.main"), route.entry_point)
    app = flask.Flask(route.name)
    app.add_url_rule("/<path:path>", "entry", lambda path: entry(flask.request), methods=[route.method])
    return app.test_client()


def _path(route: routing.Route) -> str:
    return re.sub(r"\{\w+\*?\}", "some-id", route.path)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_a_declared_length_over_the_limit_is_413(route: routing.Route) -> None:
    body = b"{" + b" " * settings().max_request_bytes + b"}"
    answer = _client(route).open(_path(route), method=route.method, data=body, content_type="application/json")
    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"] == "payload-too-large"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_a_chunked_body_over_the_limit_is_413(route: routing.Route) -> None:
    body = io.BytesIO(b"[" + b"0," * settings().max_request_bytes + b"0]")
    answer = _client(route).open(
        _path(route),
        method=route.method,
        input_stream=body,
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )
    # A handler that reads no body (a GET) has nothing to refuse; anything that reads it must.
    if answer.status_code != 413:
        assert route.method in ("GET", "DELETE") or route.auth in ("user", "user_revoked"), route.name
        assert answer.status_code in (401, 404), route.name
    else:
        assert answer.get_json()["error"]["code"] == "payload-too-large"
