"""The firebase-admin apps, each initialised once per process; Auth calls go to the emulator
wherever settings().firebase_auth_emulator_host names one."""

from __future__ import annotations

import functools
import os

import firebase_admin
import google.auth.credentials
from firebase_admin import credentials

from lib.config import settings

# firebase-admin's default app name: the blocking-function library uses the default app too.
DEFAULT_APP = "[DEFAULT]"


class _LocalCredential(credentials.Base):
    """Anonymous credentials: the emulators and local servers take no real token."""

    def get_credential(self) -> google.auth.credentials.Credentials:
        return google.auth.credentials.AnonymousCredentials()


@functools.cache
def app() -> firebase_admin.App:
    """The default app, for Auth calls: each may take half an app request's time, leaving the rest
    to its Firestore work (firebase-admin waits 120 s by default)."""
    return _initialized(DEFAULT_APP, http_timeout_s=settings().app_deadline_s / 2)


@functools.cache
def messaging_app() -> firebase_admin.App:
    """An app for FCM sends, with firebase-admin's own timeout: the sender's batch has minutes,
    and a send cut short would only be sent again."""
    return _initialized("messaging", http_timeout_s=None)


def _initialized(name: str, *, http_timeout_s: float | None) -> firebase_admin.App:
    config = settings()
    options: dict[str, object] = {"projectId": config.google_cloud_project}
    if http_timeout_s is not None:
        options["httpTimeout"] = http_timeout_s
    if config.firebase_auth_emulator_host:
        os.environ.setdefault("FIREBASE_AUTH_EMULATOR_HOST", config.firebase_auth_emulator_host)
    if config.is_local:
        return firebase_admin.initialize_app(_LocalCredential(), options=options, name=name)
    return firebase_admin.initialize_app(options=options, name=name)
