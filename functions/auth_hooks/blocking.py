"""Identity Platform blocking functions: before a user is created, before a sign-in."""

from __future__ import annotations

from firebase_admin import exceptions as fb_exceptions
from firebase_functions import identity_fn
from firebase_functions.https_fn import FunctionsErrorCode, HttpsError
from firebase_functions.private import token_verifier
from pydantic import BaseModel, Field

from functions.auth_hooks import profile
from lib import entitlements, errors
from lib.config import settings
from lib.http import parse_model


class BlockingJwt(BaseModel):
    jwt: str = Field(pattern=r"^[\w-]+\.[\w-]+\.[\w-]*$", max_length=16384)


class BlockingCall(BaseModel):
    """The body Identity Platform posts."""

    data: BlockingJwt


class _Metadata(BaseModel):
    creation_time: int | None = None
    last_sign_in_time: int | None = None


class _UserRecord(BaseModel):
    uid: str = Field(min_length=1, max_length=128)
    metadata: _Metadata
    provider_data: list[dict[str, object]]


class BlockingClaims(BaseModel):
    """The claims identity_fn reads without checking; a missing one would be its 500."""

    event_id: str
    ip_address: str
    user_agent: str
    iat: int
    user_record: _UserRecord


def check_blocking_call(call: BlockingCall) -> None:
    """identity_fn answers 500 to any token it cannot verify or read; verifying it here
    first (the library's own verifier, then the claims it reads) makes those a 400."""
    try:
        claims = token_verifier.verify_auth_blocking_token(call.data.jwt)  # type: ignore[no-untyped-call]
    except (ValueError, fb_exceptions.FirebaseError) as exc:
        raise errors.InvalidArgument("data.jwt: not a valid blocking-function token") from exc
    parse_model(BlockingClaims, claims)


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
    # Identity Platform replaces the user's custom claims with the ones answered here (the
    # response's updateMask names customClaims), so the answer carries every claim the user has,
    # with `plan` and `billing` fresh from the entitlement.
    fresh = entitlements.claims(entitlements.read(user.uid))
    return identity_fn.BeforeSignInResponse(custom_claims={**(user.custom_claims or {}), **fresh})
