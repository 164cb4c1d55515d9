"""The OpenAPI 3.1 document, generated from the route table and the pydantic models."""

from __future__ import annotations

import importlib
import json
from typing import Any

from pydantic import BaseModel

from lib import routing
from lib.routing import Route

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

_ERRORS_BY_AUTH: dict[str, list[int]] = {
    "none": [],
    "user": [401, 403],
    "user_revoked": [401, 403],
    "stripe": [],
    "internal": [403],
    "identity_platform": [403],
    "cdn_signature": [403],
}


def load_model(reference: str) -> type[BaseModel]:
    module_name, _, class_name = reference.partition(":")
    model = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{reference} is not a pydantic model")
    return model


def _schema_ref(reference: str, components: dict[str, Any]) -> dict[str, Any]:
    model = load_model(reference)
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "OK"}
    if route.response_model:
        ok["content"] = {"application/json": {"schema": _schema_ref(route.response_model, components)}}
    responses: dict[str, Any] = {"200": ok}
    if route.auth == "cdn_signature":
        responses["206"] = {"description": "The requested byte range"}
    statuses = {400, 404, 500, 503, *_ERRORS_BY_AUTH[route.auth]}
    if route.method in ("POST", "PUT", "PATCH"):
        statuses.add(413)
    if route.rate_limit != "none":
        statuses.add(429)
    for status in sorted(statuses):
        responses[str(status)] = _error_response(f"error {status}")
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": [route.function],
        "responses": responses,
    }
    if route.path_params:
        operation["parameters"] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 128}}
            for p in route.path_params
        ]
    if route.request_model:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_ref(route.request_model, components)}},
        }
    if route.auth in ("user", "user_revoked"):
        operation["security"] = [{"firebaseIdToken": []}]
    return operation


def document() -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for route in routing.routes():
        paths.setdefault(route.template, {})[route.method.lower()] = _operation(route, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Wellness backend", "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"firebaseIdToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2)
