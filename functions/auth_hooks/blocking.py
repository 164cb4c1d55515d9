"""Identity Platform blocking functions: before a user is created, before a sign-in."""

from __future__ import annotations

from firebase_functions import identity_fn
from firebase_functions.https_fn import FunctionsErrorCode, HttpsError
from pydantic import BaseModel, Field

from functions.auth_hooks import profile
from lib import entitlements
from lib.config import settings


class BlockingJwt(BaseModel):
    jwt: str = Field(pattern=r"^[\w-]+\.[\w-]+\.[\w-]*$", max_length=16384)


class BlockingCall(BaseModel):
    """The body Identity Platform posts; identity_fn answers 500 to a malformed JWT, so its
    shape is checked first and a bad one is a 400."""

    data: BlockingJwt


def email_domain(email: str | None) -> str:
    return (email or "").rpartition("@")[2].strip().lower()


def is_blocked_email(email: str | None, blocked: frozenset[str]) -> bool:
    domain = email_domain(email)
    return any(domain == b or domain.endswith("." + b) for b in blocked)


@identity_fn.before_user_created()
def before_create(event: identity_fn.AuthBlockingEvent) -> identity_fn.BeforeCreateResponse | None:
    user = event.data
    if is_blocked_email(user.email, settings().blocked_domains):
        raise HttpsError(FunctionsErrorCode.PERMISSION_DENIED, "sign-ups from this email domain are not accepted")
    profile.ensure_profile(user.uid, user.email, user.display_name)
    return None


@identity_fn.before_user_signed_in()
def before_sign_in(event: identity_fn.AuthBlockingEvent) -> identity_fn.BeforeSignInResponse | None:
    user = event.data
    if user.disabled:
        raise HttpsError(FunctionsErrorCode.PERMISSION_DENIED, "this account is disabled")
    return identity_fn.BeforeSignInResponse(custom_claims={"plan": entitlements.active_plan(user.uid)})
