"""Which error codes each route can answer and whether the app should retry: one table that the
OpenAPI document and docs/api.md ("Error codes") both show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from lib import errors
from lib.routing import Route


class Retry(StrEnum):
    NO = "no"
    REFRESH_TOKEN_ONCE = "once, after refreshing the ID token"  # noqa: S105 - advice, not a secret
    SIGN_IN_AGAIN = "no; sign the user in again"
    AFTER_RETRY_AFTER = "yes, after `Retry-After` seconds"
    NOT_BEFORE_RETRY_AFTER = "not automatically; `Retry-After` says when it may succeed"


@dataclass(frozen=True)
class ErrorCode:
    error: type[errors.ApiError]
    retry: Retry
    when: str

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def status(self) -> int:
        return self.error.status


CODES: tuple[ErrorCode, ...] = (
    ErrorCode(errors.InvalidArgument, Retry.NO, "a body, parameter or path fails validation; the message names it"),
    ErrorCode(errors.InvalidStripeSignature, Retry.NO, "`Stripe-Signature` is missing, stale or does not match"),
    ErrorCode(
        errors.InvalidAppStoreSignature,
        Retry.NO,
        "the `signedPayload` does not chain to a trusted root or names another app or environment",
    ),
    ErrorCode(errors.MissingToken, Retry.NO, "no `Authorization: Bearer` header"),
    ErrorCode(errors.InvalidIdToken, Retry.SIGN_IN_AGAIN, "the ID token is malformed or not from this project"),
    ErrorCode(errors.IdTokenExpired, Retry.REFRESH_TOKEN_ONCE, "the ID token has expired"),
    ErrorCode(errors.IdTokenRevoked, Retry.SIGN_IN_AGAIN, "the user's tokens were revoked"),
    ErrorCode(errors.AccountDeleted, Retry.SIGN_IN_AGAIN, "the account was deleted; nothing was written"),
    ErrorCode(errors.InvalidOidcToken, Retry.NO, "an internal route's OIDC token is missing or not valid for it"),
    ErrorCode(errors.UserDisabled, Retry.NO, "the account is disabled; signing in is refused too"),
    ErrorCode(errors.CallerNotAllowed, Retry.NO, "the OIDC token names another service account"),
    ErrorCode(
        errors.PermissionDenied,
        Retry.NO,
        "premium content without an entitlement, a media file without a valid signature, or an internal "
        "route called from off the machine locally",
    ),
    ErrorCode(errors.NotFound, Retry.NO, "the thing named in the path does not exist for the caller"),
    ErrorCode(errors.MethodNotAllowed, Retry.NO, "a known path with another method; `Allow` names the methods"),
    ErrorCode(errors.Conflict, Retry.AFTER_RETRY_AFTER, "a Stripe event is being processed by another delivery"),
    ErrorCode(
        errors.DayRuleChangedRecently,
        Retry.NOT_BEFORE_RETRY_AFTER,
        "`timezone` or `day_start` changed less than 24 hours ago",
    ),
    ErrorCode(errors.SubscriptionExists, Retry.NO, "a subscription that may still bill exists; open the portal"),
    ErrorCode(errors.PurchaseOwned, Retry.NO, "the reported store purchase belongs to another account"),
    ErrorCode(errors.PayloadTooLarge, Retry.NO, "the body is over 64 KiB"),
    ErrorCode(errors.RateLimited, Retry.AFTER_RETRY_AFTER, "too many requests from this token or address"),
    ErrorCode(errors.Internal, Retry.NO, "a bug; it has been logged"),
    ErrorCode(errors.Unavailable, Retry.AFTER_RETRY_AFTER, "a dependency is busy or unreachable"),
)

BY_CODE: dict[str, ErrorCode] = {entry.code: entry for entry in CODES}

_USER_TOKEN = (errors.MissingToken, errors.InvalidIdToken, errors.IdTokenExpired, errors.UserDisabled)
_BY_AUTH: dict[str, tuple[type[errors.ApiError], ...]] = {
    "none": (),
    "user": _USER_TOKEN,
    "user_revoked": (*_USER_TOKEN, errors.IdTokenRevoked, errors.AccountDeleted),
    "stripe": (errors.InvalidStripeSignature,),
    "app_store_signature": (errors.InvalidAppStoreSignature,),
    "internal": (errors.MissingToken, errors.InvalidOidcToken, errors.CallerNotAllowed, errors.PermissionDenied),
    "pubsub_push": (errors.MissingToken, errors.InvalidOidcToken, errors.CallerNotAllowed),
    "identity_platform": (),
    "cdn_signature": (errors.PermissionDenied,),
}

# What a route's own logic refuses, beyond what its auth, rate limit and method bring.
ROUTE_ERRORS: dict[str, tuple[type[errors.ApiError], ...]] = {
    "me_patch": (errors.DayRuleChangedRecently,),
    "checkout_session_create": (errors.SubscriptionExists,),
    "store_purchase_create": (errors.PurchaseOwned,),
    "content_access": (errors.PermissionDenied,),
    "stripe_webhook": (errors.Conflict,),
    "app_store_notification": (errors.Conflict,),
    "google_play_notification": (errors.Conflict,),
}

# Every route: validation (the gateway refuses a path with control characters), a missing
# resource, a bug, and a dependency that did not answer.
_ALWAYS = (errors.InvalidArgument, errors.NotFound, errors.Internal, errors.Unavailable)


def route_codes(route: Route) -> list[ErrorCode]:
    """The codes `route` can answer, by status then code."""
    found: list[type[errors.ApiError]] = [*_ALWAYS, *_BY_AUTH[route.auth], *ROUTE_ERRORS.get(route.name, ())]
    if route.method in ("POST", "PUT", "PATCH"):
        found.append(errors.PayloadTooLarge)
    if route.rate_limit != "none":
        found.append(errors.RateLimited)
    return sorted({BY_CODE[error.code] for error in found}, key=lambda entry: (entry.status, entry.code))


def describe(entries: Iterable[ErrorCode]) -> str:
    """One response's description: each code and whether to retry."""
    return "; ".join(f"`{entry.code}` (retry: {entry.retry})" for entry in entries)


def markdown_table() -> str:
    """The table docs/api.md shows under "Error codes"."""
    rows = [
        f"| {entry.status} | `{entry.code}` | {entry.retry} | {entry.when} |"
        for entry in sorted(CODES, key=lambda entry: (entry.status, entry.code))
    ]
    return "\n".join(["| status | code | retry | when |", "|---|---|---|---|", *rows])
