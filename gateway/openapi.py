"""The OpenAPI 3.1 document, generated from the route table and the pydantic models."""

from __future__ import annotations

import importlib
import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from functions.content_urls.catalogue import CONTENT_ID_PATTERN
from functions.reminders.devices import INSTALLATION_ID_PATTERN
from functions.reminders.opens import MESSAGE_ID_PATTERN
from gateway import error_codes
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

SECURITY_SCHEMES: dict[str, Any] = {
    "firebaseIdToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Firebase Auth ID token (`getIdToken()` in the Firebase SDKs).",
    },
    "googleOidc": {
        "type": "openIdConnect",
        "openIdConnectUrl": "https://accounts.google.com/.well-known/openid-configuration",
        "description": "A Google-signed OIDC token of the Cloud Scheduler or Cloud Tasks service account.",
    },
    "pubsubPushOidc": {
        "type": "openIdConnect",
        "openIdConnectUrl": "https://accounts.google.com/.well-known/openid-configuration",
        "description": "A Google-signed OIDC token of the Pub/Sub push subscription's service account.",
    },
    "stripeSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "Stripe-Signature",
        "description": "Stripe's signature of the raw body with the webhook signing secret.",
    },
    "cdnSignedUrl": {
        "type": "apiKey",
        "in": "query",
        "name": "Signature",
        "description": "A Cloud CDN signed URL (`Expires`, `KeyName`, `Signature`) from the content access route.",
    },
    "cdnSignedCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "Cloud-CDN-Cookie",
        "description": "A Cloud CDN signed cookie from the content access route, for a stream.",
    },
}

# Identity Platform's blocking calls and the App Store's notifications carry their signed JWT in
# the body, not in a header.
_SECURITY_BY_AUTH: dict[str, list[dict[str, list[str]]]] = {
    "none": [],
    "user": [{"firebaseIdToken": []}],
    "user_revoked": [{"firebaseIdToken": []}],
    "stripe": [{"stripeSignature": []}],
    "app_store_signature": [],
    "internal": [{"googleOidc": []}],
    "pubsub_push": [{"pubsubPushOidc": []}],
    "identity_platform": [],
    "cdn_signature": [{"cdnSignedUrl": []}, {"cdnSignedCookie": []}],
}

# The relative URL names the host that served the document: the local gateway or the load balancer.
SERVERS = [{"url": "/", "description": "The host serving this document"}]


class _ResponseJsonSchema(GenerateJsonSchema):
    """A field with a default is always in a response body, so it is `required` there."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        return not field.get("serialization_exclude")


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


def _schema_ref(reference: str, components: dict[str, Any], *, response: bool) -> dict[str, Any]:
    model = load_model(reference)
    schema = model.model_json_schema(
        ref_template="#/components/schemas/{model}",
        mode="serialization",
        schema_generator=_ResponseJsonSchema if response else GenerateJsonSchema,
    )
    for name, definition in {**schema.pop("$defs", {}), model.__name__: schema}.items():
        # A model read in requests and written in responses must have one schema for both.
        if components.setdefault(name, definition) != definition:
            raise ValueError(f"{name}: its request and response schemas differ; give one of them another model")
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _error_response(description: str, entries: list[error_codes.ErrorCode]) -> dict[str, Any]:
    if entries:
        description = f"{description}. Codes: {error_codes.describe(entries)}"
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "x-error-codes": [{"code": entry.code, "retry": entry.retry.name.lower()} for entry in entries],
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


_STATUS_TEXT = {
    400: "The body or a parameter fails validation",
    401: "The credentials are missing or not accepted",
    403: "The caller may not do this",
    404: "Not found",
    409: "Conflicts with stored state",
    413: "The body is too large",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable for now",
}


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
        ok["content"] = {"application/json": {"schema": _schema_ref(route.response_model, components, response=True)}}
    responses: dict[str, Any] = {"200": ok}
    if route.auth == "cdn_signature":
        responses["206"] = {"description": "The requested byte range"}
    by_status: dict[int, list[error_codes.ErrorCode]] = {}
    for entry in error_codes.route_codes(route):
        by_status.setdefault(entry.status, []).append(entry)
    for status in sorted(by_status):
        responses[str(status)] = _error_response(_STATUS_TEXT[status], by_status[status])
    if route.auth == "identity_platform":
        responses["403"] = {"description": "The sign-up or sign-in is refused, in Identity Platform's error shape"}
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": [route.function],
        "security": _SECURITY_BY_AUTH[route.auth],
        "responses": responses,
    }
    if route.path_params:
        operation["parameters"] = [_path_parameter(p) for p in route.path_params]
    if route.request_model:
        operation["requestBody"] = {
            "required": not _body_optional(load_model(route.request_model)),
            "content": {"application/json": {"schema": _schema_ref(route.request_model, components, response=False)}},
        }
    return operation


def document() -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for route in routing.routes():
        paths.setdefault(route.template, {})[route.method.lower()] = _operation(route, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Wellness backend", "version": "1.0.0"},
        "servers": SERVERS,
        "paths": paths,
        "components": {
            "schemas": {**_hoist_timezones(components), TIMEZONE_SCHEMA_TITLE: timezone_json_schema()},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2)


if __name__ == "__main__":
    # `python -m gateway.openapi`: the document on stdout, for generating clients.
    print(dumps(document()))
