"""Demo data for `make run`: one signed-in user with a profile, ready to call the API."""

from __future__ import annotations

from dataclasses import dataclass

from devstack import accounts
from functions.auth_hooks import profile

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - a local emulator account, printed on purpose


@dataclass(frozen=True)
class DemoUser:
    uid: str
    email: str
    password: str
    id_token: str


def seed_demo_user() -> DemoUser:
    """Creates (or finds) the demo user and its profile; safe to run twice."""
    uid = accounts.create_user(DEMO_EMAIL, DEMO_PASSWORD, "Demo User")
    profile.ensure_profile(uid, DEMO_EMAIL, "Demo User")
    return DemoUser(uid, DEMO_EMAIL, DEMO_PASSWORD, accounts.sign_in(DEMO_EMAIL, DEMO_PASSWORD))
