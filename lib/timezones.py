"""IANA time zones as a validated type for request bodies."""

from __future__ import annotations

import functools
from typing import Annotated
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator


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


IanaTimezone = Annotated[str, AfterValidator(check_timezone)]
