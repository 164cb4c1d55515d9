"""Demo data for `make run`: a signed-in user with a profile, and the content catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from devstack import accounts, catalogue
from functions.auth_hooks import profile

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - a local emulator account, printed on purpose


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
    return DemoUser(uid, DEMO_EMAIL, DEMO_PASSWORD, accounts.sign_in(DEMO_EMAIL, DEMO_PASSWORD))
