"""Users and ID tokens on the Auth emulator, through firebase-admin and the emulator's REST API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests
from firebase_admin import auth as fb_auth

from lib import firebase
from lib.config import settings


def create_user(email: str, password: str, display_name: str | None = None, uid: str | None = None) -> str:
    """The uid of a new password user (or of the existing one with that email)."""
    try:
        user = fb_auth.create_user(
            uid=uid, email=email, password=password, display_name=display_name, app=firebase.app()
        )
    except fb_auth.EmailAlreadyExistsError:
        user = fb_auth.get_user_by_email(email, app=firebase.app())
    return str(user.uid)


def sign_in(email: str, password: str) -> str:
    """A fresh ID token, as the app gets one from the Firebase client SDK."""
    url = (
        f"http://{settings().firebase_auth_emulator_host}/identitytoolkit.googleapis.com/v1/"
        "accounts:signInWithPassword?key=local-api-key"
    )
    response = requests.post(url, json={"email": email, "password": password, "returnSecureToken": True}, timeout=10)
    response.raise_for_status()
    return str(response.json()["idToken"])


@dataclass(frozen=True)
class SignedInUser:
    uid: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def new_user(prefix: str, display_name: str) -> SignedInUser:
    """A new password user with a unique email, signed in: what tests and benchmarks act as."""
    suffix = uuid.uuid4().hex[:12]
    email, password = f"{prefix}-{suffix}@example.com", f"pw-{suffix}"
    uid = create_user(email, password, display_name)
    return SignedInUser(uid=uid, email=email, password=password, token=sign_in(email, password))
