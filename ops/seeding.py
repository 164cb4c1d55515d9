"""Demo users for the local stack, each created through the code paths the app's requests
take (Auth account, profile, time zone, reminder with next_at, devices) plus a check-in
history in the streaks data shape. Deterministic per index, so a second run changes nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from firebase_admin import auth as fb_auth
from google.cloud import firestore

from devstack import accounts
from functions.auth_hooks import profile
from functions.reminders import devices, preferences
from functions.streaks import checkins, streak
from functions.streaks.api import CheckinRequest
from functions.streaks.summary import StreakSummary
from lib import firebase
from lib import firestore as db
from lib.day_rule import DayRule

ZONES = (
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Kiritimati",
    "UTC",
)
PASSWORD = "seed-password"  # noqa: S105 - local emulator accounts, documented in docs/operations.md

Platform = Literal["ios", "android", "web"]


@dataclass(frozen=True)
class DemoDevice:
    installation_id: str
    platform: Platform
    token: str | None  # a legacy FCM token; None: addressed by installation ID


@dataclass(frozen=True)
class DemoUser:
    uid: str
    email: str
    display_name: str
    timezone: str
    reminder_on: bool
    local_time: str
    devices: tuple[DemoDevice, ...]
    history_days: int  # how many local days back the check-in history reaches
    skip_rate: float
    checked_in_today: bool


def demo_user(index: int) -> DemoUser:
    """The index-th demo user; the same index always gives the same user."""
    rng = random.Random(index)
    uid = f"seed-{index:05d}"
    platforms: tuple[Platform, ...] = ("ios", "android", "web")
    device_list = tuple(
        DemoDevice(
            installation_id=f"{uid}-fid-{n}",
            platform=rng.choice(platforms),
            token=f"legacy-token-{uid}-{n}-{rng.getrandbits(48):012x}" if rng.random() < 0.3 else None,
        )
        for n in range(rng.randint(1, 2))
    )
    return DemoUser(
        uid=uid,
        email=f"{uid}@example.com",
        display_name=f"Seed User {index}",
        timezone=ZONES[index % len(ZONES)],
        reminder_on=index % 5 != 4,
        local_time=f"{rng.randint(7, 21):02d}:{rng.choice((0, 15, 30, 45)):02d}",
        devices=device_list,
        history_days=rng.randint(0, 30),
        skip_rate=rng.choice((0.0, 0.1, 0.3)),
        checked_in_today=index % 3 == 0,
    )


def history(user: DemoUser, today: date) -> list[date]:
    """The local days the user checked in, oldest first, ending yesterday."""
    rng = random.Random(f"history-{user.uid}")
    days = [today - timedelta(days=back) for back in range(user.history_days, 0, -1)]
    return [d for d in days if rng.random() >= user.skip_rate]


def summaries_after(days: list[date], tz_name: str) -> list[StreakSummary]:
    """The streak summary the streaks concern holds after each check-in on `days`, in order."""
    rule = DayRule(tz_name)
    summaries: list[StreakSummary] = []
    for day in days:
        # Each check-in at the day's noon, as a user checking in daily would have made it.
        noon = rule.day_starts_at(day) + timedelta(hours=12)
        previous = summaries[-1] if summaries else StreakSummary()
        summaries.append(streak.next_summary(previous, day, rule, noon).summary)
    return summaries


def _ensure_account(user: DemoUser) -> None:
    try:
        fb_auth.get_user(user.uid, app=firebase.app())
    except fb_auth.UserNotFoundError:
        accounts.create_user(user.email, PASSWORD, user.display_name, uid=user.uid)


def write_history(uid: str, tz_name: str, days: list[date]) -> None:
    """Writes check-ins on the local `days` (oldest first) and the streak they make, once: a user
    who already has a streak keeps it (so a second run, or check-ins made since, are left alone)."""
    ref = profile.user_ref(uid)
    snapshot = ref.get()
    if (snapshot.to_dict() or {}).get("streak") is not None:
        return
    summaries = summaries_after(days, tz_name)
    # At most 31 check-ins and the summary: one atomic commit, conditional like the streaks
    # concern's own, so a check-in racing the seed is not overwritten.
    batch = db.client().batch()
    for day, summary in zip(days, summaries, strict=True):
        batch.set(
            ref.collection("checkins").document(day.isoformat()),
            {
                "local_date": day.isoformat(),
                "timezone": tz_name,
                "at": firestore.SERVER_TIMESTAMP,
                "streak": summary.current,
            },
        )
    final = summaries[-1] if summaries else StreakSummary()
    batch.update(
        ref, {"streak": final.as_field()}, option=db.client().write_option(last_update_time=snapshot.update_time)
    )
    batch.commit()


def seed_user(user: DemoUser, now: datetime) -> None:
    _ensure_account(user)
    profile.ensure_profile(user.uid, user.email, user.display_name)
    profile.update_profile(user.uid, profile.ProfilePatch(timezone=user.timezone))
    setting = preferences.ReminderSetting(enabled=user.reminder_on, local_time=user.local_time, timezone=user.timezone)
    preferences.save_reminder(user.uid, setting, now)
    for device in user.devices:
        registration = devices.DeviceRegistration(platform=device.platform, token=device.token, app_version="seed")
        devices.register_device(user.uid, device.installation_id, registration, now)
    write_history(user.uid, user.timezone, history(user, DayRule(user.timezone).local_day(now)))
    if user.checked_in_today:
        checkins.check_in(user.uid, CheckinRequest())
