"""Demo data for `make run`: a signed-in user with a profile, a device, a 3-day streak not yet
checked in today, its daily reminder already due and its streak-at-risk nudge due a little later,
and the content catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from devstack import accounts, catalogue
from functions.auth_hooks import profile
from functions.reminders import devices, preferences
from functions.reminders.kinds import Kind
from lib.day_rule import DayRule
from ops.seeding import write_history

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - a local emulator account, printed on purpose
DEMO_INSTALLATION_ID = "demo-installation-id"
DEMO_TIMEZONE = "Europe/Paris"
# When the nudge comes after seeding: a few of the local scheduler's ticks after the daily reminder.
DEMO_NUDGE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class DemoUser:
    uid: str
    email: str
    password: str
    id_token: str


def seed_demo_data() -> DemoUser:
    """Creates (or finds) the demo user and its profile and writes the catalogue; safe to run twice."""
    catalogue.write_items()
    uid = accounts.create_user(DEMO_EMAIL, DEMO_PASSWORD, "Demo User")
    profile.ensure_profile(uid, DEMO_EMAIL, "Demo User")
    profile.update_profile(uid, profile.ProfilePatch(timezone=DEMO_TIMEZONE))
    today = DayRule(DEMO_TIMEZONE).local_day(datetime.now(UTC))
    write_history(uid, DEMO_TIMEZONE, [today - timedelta(days=back) for back in (3, 2, 1)])
    _due_reminders(uid)
    return DemoUser(uid, DEMO_EMAIL, DEMO_PASSWORD, accounts.sign_in(DEMO_EMAIL, DEMO_PASSWORD))


def _due_reminders(uid: str) -> None:
    """A device addressed by its installation ID, a daily reminder due a minute ago, so the first
    tick sends the demo user one notification, and the streak-at-risk nudge due a little later,
    so a later tick sends the second (as if the evening had come)."""
    now = datetime.now(UTC)
    devices.register_device(uid, DEMO_INSTALLATION_ID, devices.DeviceRegistration(platform="android"), now)
    setting = preferences.ReminderSetting(enabled=True, local_time="08:00", timezone=DEMO_TIMEZONE)
    preferences.save_reminder(uid, setting, now)
    due = {Kind.DAILY_REMINDER: now - timedelta(minutes=1), Kind.STREAK_AT_RISK: now + DEMO_NUDGE_AFTER}
    profile.user_ref(uid).update(preferences.schedule_fields(due))
