"""The token check: a Firebase ID token becomes the caller (`lib.routing.serve` runs it on
`user` and `user_revoked` routes).

Every failure is a 401 (or 403 for a disabled account) with a stable code and
`WWW-Authenticate: Bearer error="invalid_token"`, so the app refreshes and retries.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from lib import errors, firebase, log

# The Google permissions each route `auth` kind of the route table needs: a revocation check is
# an accounts:lookup call; a plain check reads only Google's public keys.
PERMISSIONS_BY_AUTH: dict[str, frozenset[str]] = {"user_revoked": frozenset({"firebaseauth.users.get"})}

_logger = log.get_logger("auth")


@dataclass(frozen=True)
class Caller:
    uid: str
    email: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)


def bearer_token(header: str | None) -> str:
    if not header:
        raise errors.MissingToken("send Authorization: Bearer <Firebase ID token>")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise errors.InvalidIdToken("the Authorization header must be 'Bearer <Firebase ID token>'")
    return token


def unverified_expiry(token: str) -> float:
    """The token's own `exp`, read before any verification."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims["exp"]
    except (IndexError, ValueError, KeyError, TypeError) as exc:
        raise errors.InvalidIdToken("the ID token is not valid") from exc
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise errors.InvalidIdToken("the ID token has no valid expiry")
    return float(exp)


def verify_caller(header: str | None, *, check_revoked: bool) -> Caller:
    # Imported on the first token check: functions that serve only internal routes (scheduler
    # and tasks targets) never need firebase_admin.auth.
    from firebase_admin import auth as fb_auth
    from firebase_admin import exceptions as fb_exc

    token = bearer_token(header)
    # Expiry is judged first, from the token itself: firebase-admin does not check it against
    # the Auth emulator, and its revocation check would otherwise answer "revoked" for an old
    # token. An expired token must always say so, so that the app refreshes it and retries.
    if unverified_expiry(token) <= time.time():
        raise errors.IdTokenExpired("the ID token has expired; refresh it and retry")
    try:
        claims = fb_auth.verify_id_token(token, app=firebase.app(), check_revoked=check_revoked)
    except fb_auth.ExpiredIdTokenError as exc:
        raise errors.IdTokenExpired("the ID token has expired; refresh it and retry") from exc
    except fb_auth.RevokedIdTokenError as exc:
        raise errors.IdTokenRevoked("the ID token has been revoked; sign in again") from exc
    except fb_auth.UserDisabledError as exc:
        raise errors.UserDisabled("this account is disabled") from exc
    except (fb_auth.InvalidIdTokenError, fb_auth.UserNotFoundError, ValueError) as exc:
        raise errors.InvalidIdToken("the ID token is not valid") from exc
    except (fb_auth.CertificateFetchError, fb_exc.UnavailableError, fb_exc.DeadlineExceededError) as exc:
        raise errors.Unavailable("cannot verify the ID token right now") from exc
    except (fb_exc.PermissionDeniedError, fb_exc.UnauthenticatedError) as exc:
        # Auth refused this function's own service account (a missing firebaseauth.users.get):
        # a deploy defect every caller would hit, so it is logged for the operator.
        _logger.error(
            "Auth refused the token check", extra={"fields": {"error": type(exc).__name__, "detail": str(exc)}}
        )
        raise errors.Unavailable("cannot verify the ID token right now") from exc
    caller = Caller(uid=str(claims["uid"]), email=claims.get("email"), claims=claims)
    log.bind(uid=caller.uid)
    return caller
