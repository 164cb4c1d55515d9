"""Demo data for `make run`: a signed-in user with a profile, a device and a reminder that is
already due, and the content catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from devstack import accounts, catalogue
from functions.auth_hooks import profile
from functions.reminders import devices, preferences
from lib import firestore as db

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - a local emulator account, printed on purpose
DEMO_INSTALLATION_ID = "demo-installation-id"


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
    _due_reminder(uid)
    return DemoUser(uid, DEMO_EMAIL, DEMO_PASSWORD, accounts.sign_in(DEMO_EMAIL, DEMO_PASSWORD))


def _due_reminder(uid: str) -> None:
    """A device addressed by its installation ID and a daily reminder due a minute ago, so the
    first tick sends the demo user one notification."""
    now = datetime.now(UTC)
    devices.register_device(uid, DEMO_INSTALLATION_ID, devices.DeviceRegistration(platform="android"), now)
    setting = preferences.ReminderSetting(enabled=True, local_time="08:00", timezone="Europe/Paris")
    preferences.save_reminder(uid, setting, now)
    db.client().collection("users").document(uid).update({"next_at": now - timedelta(minutes=1)})
