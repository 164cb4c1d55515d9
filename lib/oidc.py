"""The caller check of internal routes (Cloud Scheduler and Cloud Tasks targets) and of Pub/Sub
push routes.

Platform IAM comes first: only the scheduler, tasks or push account holds such a function's
invoker role. The function still checks the caller's OIDC token itself: signed by Google, for its
own URL as audience (INTERNAL_AUDIENCE), naming an account that calls it (INTERNAL_CALLERS).
Locally internal routes answer only to the loopback address; a push route checks the token
locally too, against the local issuer the stack names (OIDC_CERTS_URL), since the local Pub/Sub
push stand-in signs one as Pub/Sub does.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import flask

from lib import errors, log
from lib.config import settings

if TYPE_CHECKING:
    from google.auth.transport.requests import Request

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
# What google.oauth2.id_token.verify_oauth2_token accepts as the issuer of a Google OIDC token.
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
_LOOPBACK = frozenset({"127.0.0.1", "::1"})
# The account the local Pub/Sub push stand-in names in its tokens (devstack/google_play_server.py).
LOCAL_PUSH_ACCOUNT = "pubsub-push@demo-wellness.iam.gserviceaccount.com"


def check_internal_caller(request: flask.Request) -> None:
    config = settings()
    if config.is_local:
        if request.remote_addr not in _LOOPBACK:
            raise errors.PermissionDenied("internal routes answer only to the local machine")
        return
    caller = verified_caller(
        request.headers.get("Authorization"),
        audience=config.internal_audience,
        callers=config.internal_caller_emails,
        certs_url=config.oidc_certs_url or GOOGLE_CERTS_URL,
    )
    log.bind(caller=caller)


def check_push_caller(request: flask.Request) -> None:
    """A Pub/Sub push: its OIDC token names the subscription's push account and, as audience, the
    function's URL (locally the gateway's URL of the route, which the stand-in pushes to)."""
    config = settings()
    local = config.is_local and not config.internal_audience
    caller = verified_caller(
        request.headers.get("Authorization"),
        audience=f"{config.gateway_url}{request.path}" if local else config.internal_audience,
        callers=frozenset({LOCAL_PUSH_ACCOUNT}) if local else config.internal_caller_emails,
        certs_url=config.oidc_certs_url or GOOGLE_CERTS_URL,
    )
    log.bind(caller=caller)


def verified_caller(header: str | None, *, audience: str, callers: frozenset[str], certs_url: str) -> str:
    """The e-mail of the service account whose Google-signed OIDC token `header` carries."""
    claims = _verified_claims(_bearer(header), audience, certs_url)
    email = str(claims.get("email", "")).lower()
    if claims.get("email_verified") is not True or email not in callers:
        raise errors.CallerNotAllowed("this service account may not call internal routes")
    return email


def _bearer(header: str | None) -> str:
    if not header:
        raise errors.MissingToken("send Authorization: Bearer <OIDC token>")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.InvalidOidcToken("the Authorization header must be 'Bearer <OIDC token>'")
    return token.strip()


def _verified_claims(token: str, audience: str, certs_url: str) -> Mapping[str, Any]:
    # Imported on the first check: only internal functions in the cloud need it.
    from google.auth import exceptions as google_exceptions
    from google.oauth2 import id_token

    try:
        claims = id_token.verify_token(token, _transport(), audience=audience, certs_url=certs_url)
    except google_exceptions.TransportError as exc:
        raise errors.Unavailable("cannot fetch Google's certificates right now") from exc
    except ValueError as exc:
        raise errors.InvalidOidcToken("the OIDC token is not valid for this function") from exc
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise errors.InvalidOidcToken("the OIDC token is not issued by Google")
    return claims


@functools.cache
def _transport() -> Request:
    from google.auth.transport.requests import Request

    return Request()
