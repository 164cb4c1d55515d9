"""The OpenAPI 3.1 document, generated from the route table and the pydantic models."""

from __future__ import annotations

import importlib
import json
from typing import Any

from pydantic import BaseModel

from functions.content_urls.catalogue import CONTENT_ID_PATTERN
from functions.reminders.devices import INSTALLATION_ID_PATTERN
from functions.reminders.opens import MESSAGE_ID_PATTERN
from lib import routing
from lib.routing import Route
from lib.timezones import TIMEZONE_SCHEMA_TITLE, timezone_json_schema

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


# The gateway refuses any path with a control character (gateway/app.py), whatever the route.
_NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]+$"

# Path parameters: the pattern each handler checks; any other parameter only excludes what the
# gateway refuses.
PATH_PARAMETER_PATTERNS: dict[str, str] = {
    "installation_id": INSTALLATION_ID_PATTERN,
    "content_id": CONTENT_ID_PATTERN,
    "message_id": MESSAGE_ID_PATTERN,
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


def _body_optional(model: type[BaseModel]) -> bool:
    """Whether a request may omit the body: an absent or empty body reads as `{}` (lib/http.parse_body)."""
    try:
        model.model_validate({})
    except ValueError:
        return False
    return True


def _path_parameter(name: str) -> dict[str, Any]:
    pattern = PATH_PARAMETER_PATTERNS.get(name, _NO_CONTROL_CHARACTERS)
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": pattern}}


def _bad_request(route: Route) -> dict[str, Any]:
    description = "The body or a parameter fails validation"
    refused_when = getattr(load_model(route.request_model), "refused_when", None) if route.request_model else None
    if refused_when:
        description += f"; also when {refused_when} (rules JSON Schema cannot state)"
    return _error_response(description)


def _conflict_when(route: Route) -> str | None:
    """When a request model states a 409 its operation can answer (a rule about stored state)."""
    return getattr(load_model(route.request_model), "conflict_when", None) if route.request_model else None


def _hoist_timezones(node: Any) -> Any:
    """Every IANA zone enum becomes one `$ref`, instead of the ~600 names in each field."""
    if isinstance(node, dict):
        if node.get("title") == TIMEZONE_SCHEMA_TITLE and "enum" in node:
            return {"$ref": f"#/components/schemas/{TIMEZONE_SCHEMA_TITLE}"}
        return {key: _hoist_timezones(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_hoist_timezones(item) for item in node]
    return node


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
    conflict_when = _conflict_when(route)
    if conflict_when:
        statuses.add(409)
    for status in sorted(statuses):
        if status == 400:
            responses[str(status)] = _bad_request(route)
        elif status == 409 and conflict_when:
            responses[str(status)] = _error_response(f"Conflict: {conflict_when}")
        else:
            responses[str(status)] = _error_response(f"error {status}")
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": [route.function],
        "responses": responses,
    }
    if route.path_params:
        operation["parameters"] = [_path_parameter(p) for p in route.path_params]
    if route.request_model:
        operation["requestBody"] = {
            "required": not _body_optional(load_model(route.request_model)),
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
            "schemas": {**_hoist_timezones(components), TIMEZONE_SCHEMA_TITLE: timezone_json_schema()},
            "securitySchemes": {"firebaseIdToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2)
