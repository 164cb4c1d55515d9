"""IANA time zones as a validated type for request bodies."""

from __future__ import annotations

import functools
from typing import Annotated, Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

TIMEZONE_SCHEMA_TITLE = "IanaTimezone"


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    """`name` if it is a real IANA zone (e.g. Europe/Paris), else ValueError."""
    if name not in _known():
        raise ValueError(f"'{name}' is not an IANA time zone such as 'Europe/Paris'")
    return name


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(check_timezone(name))


def timezone_json_schema() -> dict[str, Any]:
    """The zones this server knows, as a JSON Schema enum: exactly what `check_timezone` accepts."""
    return {
        "title": TIMEZONE_SCHEMA_TITLE,
        "description": "An IANA time zone known to the server, e.g. Europe/Paris.",
        "type": "string",
        "enum": sorted(_known()),
    }


class _TimezoneSchema:
    """The enum is built when a JSON Schema is asked for (the OpenAPI document), not at import:
    listing the zones reads the tz database, and a cold start never needs it."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return timezone_json_schema()


IanaTimezone = Annotated[str, AfterValidator(check_timezone), _TimezoneSchema()]
