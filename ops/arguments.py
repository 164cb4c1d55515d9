"""Parsing of the dates, instants and windows operators type (pure, so bad input is one line)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from ops.failures import BadInput

_WINDOW = re.compile(r"(\d+)([mhd])")
MAX_DAYS = 366
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def checked_uid(text: str) -> str:
    """A Firebase uid as a document id: 1 to 128 characters, no slash."""
    if not 0 < len(text) <= 128 or "/" in text:
        raise BadInput(f"UID: {text!r} is not a uid (1 to 128 characters, no '/')")
    return text


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def parse_instant(text: str, option: str) -> datetime:
    """An ISO 8601 instant; one without an offset is read as UTC."""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option}: {text!r} is not an ISO 8601 time (e.g. 2026-11-26T18:00:00Z)") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def parse_since(text: str, now: datetime, option: str = "--since") -> datetime:
    """`72h`, `30m`, `3d` (that long before `now`) or an ISO 8601 date or time."""
    window = _WINDOW.fullmatch(text.strip())
    if window:
        return now - timedelta(**{_UNITS[window.group(2)]: int(window.group(1))})
    try:
        return parse_instant(text, option)
    except BadInput:
        raise BadInput(f"{option}: {text!r} is neither a window (72h, 30m, 3d) nor an ISO 8601 time") from None


def days_ending(last: date, count: int) -> list[date]:
    """The `count` days ending with `last`, oldest first."""
    if not 1 <= count <= MAX_DAYS:
        raise BadInput(f"--days: {count} must be from 1 to {MAX_DAYS}")
    return [last - timedelta(days=offset) for offset in range(count - 1, -1, -1)]
