"""Shared by the streak integration and end-to-end tests: local dates now, and a streak
state written straight into the Firestore emulator as an earlier check-in would have left it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.documents import user_ref


def local_today(zone_name: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone_name)).date()


class LocalDay:
    """The zone's local date around a call: a call that straddles midnight may see either."""

    def __init__(self, zone_name: str) -> None:
        self.zone_name = zone_name
        self.before = local_today(zone_name)

    def candidates(self) -> set[date]:
        return {self.before, local_today(self.zone_name)}


def seed_streak(
    uid: str,
    *,
    current: int,
    longest: int,
    last_day: date,
    timezone: str | None = None,
    freezes: int = 0,
    judged_in: str | None = None,
) -> None:
    """The state `current` daily check-ins ending on `last_day` would have left (with `freezes` held);
    with `judged_in`, the summary also names the rule its last day was judged by (that zone, a
    midnight day start), as check-ins now write it."""
    streak: dict[str, object] = {
        "current": current,
        "longest": longest,
        "last_day": last_day.isoformat(),
        "freezes": freezes,
    }
    if judged_in:
        streak["rule"] = {"timezone": judged_in, "day_start": "00:00"}
    fields: dict[str, object] = {"streak": streak}
    if timezone:
        fields["timezone"] = timezone
    user_ref(uid).set(fields, merge=True)
    for back in range(current):
        day = (last_day - timedelta(days=back)).isoformat()
        user_ref(uid).collection("checkins").document(day).set({"local_date": day, "timezone": timezone or "UTC"})
