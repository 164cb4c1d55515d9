"""The error family of docs/api.md: every error answers `{"error": {"code", "message"}}`."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar


class ApiError(Exception):
    """An error the client is meant to see, with a stable machine-readable code."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class InvalidArgument(ApiError):
    status = 400
    code = "invalid-argument"


class InvalidStripeSignature(ApiError):
    status = 400
    code = "stripe/invalid-signature"


class Unauthenticated(ApiError):
    """A 401: the app refreshes its ID token and retries once."""

    status = 401
    code = "auth/unauthenticated"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class MissingToken(Unauthenticated):
    code = "auth/missing-token"


class InvalidIdToken(Unauthenticated):
    code = "auth/invalid-id-token"


class IdTokenExpired(Unauthenticated):
    code = "auth/id-token-expired"


class IdTokenRevoked(Unauthenticated):
    code = "auth/id-token-revoked"


class InvalidOidcToken(Unauthenticated):
    code = "auth/invalid-oidc-token"


class AccountDeleted(Unauthenticated):
    """The token was checked before its account was deleted; the account and its data are gone."""

    code = "auth/account-deleted"


class UserDisabled(ApiError):
    status = 403
    code = "auth/user-disabled"


class PermissionDenied(ApiError):
    status = 403
    code = "permission-denied"


class CallerNotAllowed(PermissionDenied):
    code = "auth/caller-not-allowed"


class NotFound(ApiError):
    status = 404
    code = "not-found"


class MethodNotAllowed(ApiError):
    """Names the methods the path does allow (`Allow`, RFC 9110)."""

    status = 405
    code = "method-not-allowed"

    def __init__(self, message: str, *, allowed: Iterable[str]) -> None:
        super().__init__(message, headers={"Allow": ", ".join(sorted(allowed))})


class Conflict(ApiError):
    status = 409
    code = "conflict"


class DayRuleChangedRecently(Conflict):
    """The profile's zone or day start changed less than 24 hours ago; Retry-After says when it may."""

    code = "profile/day-rule-changed-recently"

    def __init__(self, allowed_at: datetime, now: datetime) -> None:
        super().__init__(
            f"timezone and day_start change at most once per 24 hours; next change allowed at {allowed_at.isoformat()}",
            headers={"Retry-After": str(max(1, math.ceil((allowed_at - now).total_seconds())))},
        )


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload-too-large"


class RateLimited(ApiError):
    status = 429
    code = "rate-limited"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_s))})


class Unavailable(ApiError):
    status = 503
    code = "unavailable"

    def __init__(self, message: str, *, retry_after_s: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_s))})


# The SDKs' errors for a dependency that did not answer (Firestore, Auth, Stripe), by class path:
# looked up along the exception's __mro__, so matching imports none of the SDKs.
DEPENDENCY_UNAVAILABLE = frozenset(
    {
        "google.api_core.exceptions.ServiceUnavailable",
        "google.api_core.exceptions.DeadlineExceeded",
        "google.api_core.exceptions.RetryError",
        "firebase_admin.exceptions.UnavailableError",
        "firebase_admin.exceptions.DeadlineExceededError",
        "stripe._error.APIConnectionError",
    }
)


def unavailable_from(exc: BaseException) -> Unavailable | None:
    """The 503 for an SDK error that means a dependency did not answer; None for any other error."""
    for cls in type(exc).__mro__:
        if f"{cls.__module__}.{cls.__qualname__}" in DEPENDENCY_UNAVAILABLE:
            return Unavailable("a service this request needs did not answer; retry shortly")
    return None


class Internal(ApiError):
    status = 500
    code = "internal"


class SubscriptionExists(Conflict):
    """A checkout while the caller has a subscription Stripe may still bill (even past_due or paused)."""

    code = "billing/subscription-exists"


class PurchaseOwned(Conflict):
    """A store purchase reported by one account is bound to another: it never moves."""

    code = "billing/purchase-owned"
