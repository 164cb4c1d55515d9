"""Requests in, JSON out: body validation and the one place errors become responses."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import flask
from pydantic import BaseModel, ValidationError

from lib import errors

M = TypeVar("M", bound=BaseModel)

Reply = flask.Response | dict[str, Any] | tuple[dict[str, Any], int]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> flask.Response:
    return flask.Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def error_response(error: errors.ApiError) -> flask.Response:
    return json_response(error.body(), error.status, error.headers)


def to_response(reply: Reply) -> flask.Response:
    if isinstance(reply, flask.Response):
        return reply
    if isinstance(reply, tuple):
        return json_response(reply[0], reply[1])
    return json_response(reply)


def describe_validation_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


def parse_model(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.InvalidArgument(describe_validation_error(exc)) from exc


def parse_body(request: flask.Request, model: type[M]) -> M:
    """The JSON body validated against `model`; an empty body counts as `{}`."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return parse_model(model, {})
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.InvalidArgument("body: not valid JSON") from exc
    return parse_model(model, data)
