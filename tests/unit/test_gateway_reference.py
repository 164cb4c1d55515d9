"""gateway/reference.py: GET /docs is Swagger UI over /openapi.json, its files from node_modules."""

from __future__ import annotations

import re

from werkzeug.test import Client

from gateway.app import create_gateway
from gateway.upstream import WsgiApp
from lib.config import settings


def _no_backend(key: str) -> WsgiApp:
    raise AssertionError(f"{key} is not called by the reference page")


def _client() -> Client:
    return Client(create_gateway(settings(), _no_backend, "{}"))


def test_the_page_loads_swagger_ui_from_the_gateway_over_the_document() -> None:
    response = _client().get("/docs")
    page = response.get_data(as_text=True)
    assert (response.status_code, response.mimetype) == (200, "text/html")
    assert 'url: "/openapi.json"' in page
    assert re.findall(r'(?:src|href)="([^"]+)"', page) == [
        "/docs/favicon-32x32.png",
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
    ]


def test_the_page_sends_the_document_to_no_validator() -> None:
    assert "validatorUrl: null" in _client().get("/docs").get_data(as_text=True)


def test_its_files_come_from_swagger_ui_dist() -> None:
    response = _client().get("/docs/swagger-ui-bundle.js")
    body = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200
    assert "SwaggerUIBundle" in body


def test_any_other_file_is_json_404() -> None:
    for name in ("index.html", "..%2Fpackage.json", "swagger-ui.js.map"):
        response = _client().get(f"/docs/{name}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not-found"
