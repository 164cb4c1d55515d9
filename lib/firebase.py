"""The firebase-admin app, initialised once per process; its Auth calls go to the emulator
wherever settings().firebase_auth_emulator_host names one."""

from __future__ import annotations

import functools
import os

import firebase_admin
import google.auth.credentials
from firebase_admin import credentials

from lib.config import settings


class _LocalCredential(credentials.Base):
    """Anonymous credentials: the emulators and local servers take no real token."""

    def get_credential(self) -> google.auth.credentials.Credentials:
        return google.auth.credentials.AnonymousCredentials()


@functools.cache
def app() -> firebase_admin.App:
    config = settings()
    # Each Auth call may take half an app request's time, leaving the rest to its Firestore work
    # (firebase-admin waits 120 s by default).
    options = {"projectId": config.google_cloud_project, "httpTimeout": config.app_deadline_s / 2}
    if config.firebase_auth_emulator_host:
        os.environ.setdefault("FIREBASE_AUTH_EMULATOR_HOST", config.firebase_auth_emulator_host)
    if config.is_local:
        return firebase_admin.initialize_app(_LocalCredential(), options=options)
    return firebase_admin.initialize_app(options=options)
