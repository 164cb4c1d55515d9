"""The local gateway answers unknown routes and wrong methods as the functions do: one JSON shape,
and a 405 names the methods the path allows."""

from __future__ import annotations

from werkzeug.test import Client

from gateway.app import Gateway
from lib.config import settings


def _client() -> Client:
    return Client(Gateway(settings(), {}))


def test_an_unknown_path_is_json_404() -> None:
    answer = _client().get("/v1/nothing-here")
    assert (answer.status_code, answer.json["error"]["code"]) == (404, "not-found")


def test_a_wrong_method_is_json_405_with_allow() -> None:
    answer = _client().post("/v1/me")
    assert (answer.status_code, answer.json["error"]["code"]) == (405, "method-not-allowed")
    assert answer.headers["Allow"] == "DELETE, GET, HEAD, PATCH"
