"""/openapi.json says what the code accepts: a body or a path parameter is schema-valid exactly
when the handler's validation takes it."""

from __future__ import annotations

import re
import sys
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from functions.auth_hooks.profile import NOT_BLANK_PATTERN, ProfilePatch
from functions.content_urls.catalogue import CONTENT_ID
from functions.reminders.devices import valid_installation_id
from functions.reminders.preferences import ReminderSetting
from functions.reminders.schedule import parse_local_time
from functions.streaks.api import CheckinRequest
from gateway import openapi
from lib import day_rule
from lib.timezones import check_timezone

DOC = openapi.document()


def _validator(schema: dict[str, Any]) -> jsonschema_rs.Draft202012Validator:
    """The validator schemathesis itself uses, with formats checked."""
    return jsonschema_rs.Draft202012Validator({**schema, "components": DOC["components"]}, validate_formats=True)


def _operation(name: str) -> dict[str, Any]:
    return next(op for item in DOC["paths"].values() for op in item.values() if op["operationId"] == name)


def _body_schema(name: str) -> jsonschema_rs.Draft202012Validator:
    return _validator(_operation(name)["requestBody"]["content"]["application/json"]["schema"])


def _model_accepts(model: type[BaseModel], body: Any) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


BODIES: list[tuple[str, type[BaseModel], Any]] = (
    [
        ("me_patch", ProfilePatch, body)
        for body in [
            {},
            {"display_name": None},
            {"display_name": None, "timezone": None},
            {"display_name": "Ada"},
            {"display_name": "  Ada  "},
            {"display_name": "   "},
            {"display_name": "\x1c"},
            {"display_name": ""},
            {"display_name": "x" * 81},
            {"timezone": "Europe/Paris"},
            {"timezone": ""},
            {"timezone": "Mars/Olympus"},
            {"display_name": None, "timezone": "UTC"},
            {"display_name": "Ada", "extra": 1},
        ]
    ]
    + [
        ("reminder_put", ReminderSetting, body)
        for body in [
            {"enabled": True, "local_time": "07:30", "timezone": "UTC"},
            {"enabled": False, "local_time": "23:59", "timezone": "Asia/Kolkata"},
            {"enabled": True, "local_time": "24:00", "timezone": "UTC"},
            {"enabled": True, "local_time": "", "timezone": "UTC"},
            {"enabled": True, "local_time": "7:30", "timezone": "UTC"},
            {"enabled": True, "local_time": "07:30\n", "timezone": "UTC"},
            {"enabled": True, "local_time": "\u0660\u0667:30", "timezone": "UTC"},
            {"enabled": 0, "local_time": "07:30", "timezone": "UTC"},
            {"enabled": "true", "local_time": "07:30", "timezone": "UTC"},
            {"enabled": True, "local_time": "07:30", "timezone": ""},
        ]
    ]
    + [
        ("checkin_create", CheckinRequest, body)
        for body in [
            {},
            {"timezone": "Europe/Paris"},
            {"timezone": ""},
            {"client_time": "2026-03-01T08:00:00+01:00"},
            {"client_time": 1772348400},
            {"local_date": "2000-01-01"},
            {"local_date": 20260301},
            {"other": 1},
        ]
    ]
)


@pytest.mark.parametrize(("operation", "model", "body"), BODIES)
def test_a_body_is_schema_valid_exactly_when_the_model_accepts_it(
    operation: str, model: type[BaseModel], body: Any
) -> None:
    assert _body_schema(operation).is_valid(body) == _model_accepts(model, body)


def test_a_body_that_may_be_absent_is_not_required() -> None:
    assert _operation("checkin_create")["requestBody"]["required"] is False
    assert _operation("reminder_put")["requestBody"]["required"] is True
    assert _operation("me_patch")["requestBody"]["required"] is True


def test_the_zone_enum_is_what_the_code_accepts_and_is_one_component() -> None:
    zones = DOC["components"]["schemas"]["IanaTimezone"]["enum"]
    assert all(check_timezone(name) == name for name in zones)
    assert "Europe/Paris" in zones
    assert openapi.dumps(DOC).count('"Africa/Abidjan"') == 1


def test_the_dates_a_checkin_used_to_carry_are_deprecated_and_untyped() -> None:
    properties = DOC["components"]["schemas"]["CheckinRequest"]["properties"]
    for name in ("local_date", "client_time"):
        assert properties[name]["deprecated"] is True
        assert "type" not in properties[name]
        assert "format" not in properties[name]


def _path_schema(operation: str, name: str) -> jsonschema_rs.Draft202012Validator:
    parameter = next(p for p in _operation(operation)["parameters"] if p["name"] == name)
    return _validator(parameter["schema"])


path_text = (
    st.text(st.characters(codec="utf-8"), max_size=210)
    | st.from_regex(r"[A-Za-z0-9_-]{1,210}", fullmatch=True)
    | st.from_regex(r"__[A-Za-z0-9_-]{0,206}__", fullmatch=True)
)

# Firestore refuses these document ids (`__.*__`); a path parameter naming a document must too.
RESERVED_DOCUMENT_IDS = ["__x__", "____", "_____", "__name__", "__-__"]


@pytest.mark.parametrize("value", RESERVED_DOCUMENT_IDS)
@pytest.mark.parametrize(
    ("operation", "name"),
    [
        ("device_put", "installation_id"),
        ("device_delete", "installation_id"),
        ("content_access", "content_id"),
        ("notification_opened", "message_id"),
    ],
)
def test_no_path_parameter_naming_a_document_admits_a_reserved_id(operation: str, name: str, value: str) -> None:
    assert not _path_schema(operation, name).is_valid(value)


@pytest.mark.parametrize("value", RESERVED_DOCUMENT_IDS)
def test_the_handlers_refuse_a_reserved_installation_id(value: str) -> None:
    assert not valid_installation_id(value)


@given(path_text)
def test_installation_id_pattern_is_the_handlers_check(value: str) -> None:
    assert _path_schema("device_put", "installation_id").is_valid(value) == valid_installation_id(value)


@given(path_text)
def test_content_id_pattern_is_the_catalogues_check(value: str) -> None:
    expected = CONTENT_ID.fullmatch(value) is not None
    assert _path_schema("content_access", "content_id").is_valid(value) == expected


@given(st.text(max_size=8) | st.from_regex(r"[0-9]{2}:[0-9]{2}\n?", fullmatch=True))
def test_local_time_pattern_is_parse_local_time(text: str) -> None:
    try:
        parse_local_time(text)
        parsed = True
    except ValueError:
        parsed = False
    assert _body_schema("reminder_put").is_valid({"enabled": True, "local_time": text, "timezone": "UTC"}) == parsed


def test_the_not_blank_pattern_is_str_isspace_in_python_and_in_the_schema_validator() -> None:
    schema = _validator({"type": "string", "pattern": NOT_BLANK_PATTERN})
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        assert (re.search(NOT_BLANK_PATTERN, char) is None) == char.isspace(), hex(code)
        if code < 0x3100:
            assert schema.is_valid(char) != char.isspace(), hex(code)


def test_other_path_parameters_exclude_only_control_characters() -> None:
    schema = _path_schema("media", "path")
    assert schema.is_valid("videos/intro/master.m3u8")
    assert not schema.is_valid("videos/\x01")
    assert not schema.is_valid("")


def test_the_day_rule_change_limit_is_profile_patchs_409() -> None:
    responses = openapi.document()["paths"]["/v1/me"]["patch"]["responses"]
    assert "profile/day-rule-changed-recently" in responses["409"]["description"]
    assert "409" not in openapi.document()["paths"]["/v1/checkins"]["post"]["responses"]


def test_the_streak_fields_of_the_day_rule_and_freezes_are_documented() -> None:
    schemas = openapi.document()["components"]["schemas"]
    assert {"day_start", "freezes", "next_timezone_change_at"} <= set(schemas["StreakReply"]["properties"])
    assert {"day_start", "freezes", "next_timezone_change_at"} <= set(schemas["CheckinReply"]["properties"])
    assert "frozen" in schemas["DayView"]["properties"]
    assert {"day_start", "next_timezone_change_at"} <= set(schemas["Profile"]["properties"])
    assert schemas["ProfilePatch"]["properties"]["day_start"]["anyOf"][0]["pattern"] == day_rule.DAY_START_PATTERN
