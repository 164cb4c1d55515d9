"""`python -m devstack.google_play_server`: the local Google Play on 127.0.0.1, port of GOOGLE_PLAY_API_BASE.

Google Play has no emulator, so this speaks the part of Google's APIs our code uses, to the real
google-api-python-client and google-auth:
- `POST /token`: the OAuth 2.0 JWT-bearer grant google-auth's service-account credentials make
  (the stack's service-account key names this URL as its token_uri); the assertion must be
  signed by that key;
- `GET /androidpublisher/v3/applications/{package}/purchases/subscriptionsv2/tokens/{token}` and
  `POST .../purchases/subscriptions/{subscriptionId}/tokens/{token}:acknowledge`, with Google's
  error JSON (401 without a valid bearer token, 404 for another package, 400 for a token Google
  never issued, 410 for one expired more than 60 days ago);
- `GET /oauth2/v1/certs`: the certificates of the local issuer that signs the Pub/Sub push
  tokens (OIDC_CERTS_URL locally).
Controls under /_local/ (docs/local-stack.md) buy, move a purchase through its lifecycle, send
each notification through the Pub/Sub push stand-in (devstack/google_play_push.py), deliver a
message again or several in another order, and advance the clock, past which an unacknowledged
purchase is refunded and revoked as Google does after three days.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from google.auth import exceptions as auth_exceptions
from google.auth import jwt
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devstack import google_play_purchases as lifecycle
from devstack.google_play_purchases import Clock, ExpiredTooLong, Purchases, UnknownToken
from devstack.google_play_push import Issuer, Pusher
from devstack.stack import port_of_url
from lib.config import settings
from lib.oidc import LOCAL_PUSH_ACCOUNT

API = "/androidpublisher/v3/applications/<package>/purchases"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# The audience Google's token endpoint requires of a service account's assertion, whatever URL
# the assertion is posted to (google-auth sends this one).
GRANT_AUDIENCE = "https://oauth2.googleapis.com/token"
VOIDED_SUBSCRIPTION, FULL_REFUND = 1, 1
_UNAUTHENTICATED = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential."
)

URLS = Map(
    [
        Rule("/token", methods=["POST"], endpoint="token"),
        Rule("/oauth2/v1/certs", methods=["GET"], endpoint="certs"),
        Rule(f"{API}/subscriptionsv2/tokens/<token>", methods=["GET"], endpoint="get"),
        Rule(f"{API}/subscriptions/<product>/tokens/<token>:acknowledge", methods=["POST"], endpoint="acknowledge"),
        Rule("/_local/purchases", methods=["POST"], endpoint="buy"),
        Rule("/_local/purchases/<token>", methods=["GET"], endpoint="show"),
        Rule("/_local/purchases/<token>/<action>", methods=["POST"], endpoint="move"),
        Rule("/_local/test_notification", methods=["POST"], endpoint="test_notification"),
        Rule("/_local/notifications/<message_id>", methods=["GET"], endpoint="message"),
        Rule("/_local/notifications/<message_id>/push", methods=["POST"], endpoint="push_again"),
        Rule("/_local/oidc_token", methods=["POST"], endpoint="oidc_token"),
        Rule("/_local/notifications/replay", methods=["POST"], endpoint="replay"),
        Rule("/_local/deliveries", methods=["GET"], endpoint="deliveries"),
        Rule("/_local/clock", methods=["POST"], endpoint="clock"),
        Rule("/_local/faults", methods=["PUT"], endpoint="faults"),
        Rule("/healthz", methods=["GET"], endpoint="healthz"),
    ]
)


class GoogleError(Exception):
    """An answer in Google's error shape: {"error": {"code", "message", "status", "errors"}}."""

    def __init__(self, code: int, status: str, message: str, reason: str) -> None:
        super().__init__(message)
        self.code = code
        self.body = {
            "error": {
                "code": code,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": reason}],
                "status": status,
            }
        }


def not_found(message: str, reason: str = "notFound") -> GoogleError:
    return GoogleError(404, "NOT_FOUND", message, reason)


def invalid(message: str, reason: str) -> GoogleError:
    return GoogleError(400, "INVALID_ARGUMENT", message, reason)


class GooglePlay:
    def __init__(self, package: str, service_account_key: str, pusher: Pusher) -> None:
        self.package = package
        key = json.loads(service_account_key) if service_account_key else {}
        self.account_email = key.get("client_email")
        self.account_certs = {key["private_key_id"]: _public_pem(key["private_key"])} if key else {}
        self.clock = Clock()
        self.purchases = Purchases(self.clock)
        self.pusher = pusher
        self.lock = threading.Lock()
        self.access_tokens: dict[str, float] = {}
        # Fault injection: while set, the Developer API answers every call 503, as Google does
        # when its backend fails.
        self.unavailable = False

    # OAuth 2.0: the service account's signed assertion for an access token.
    def grant(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != JWT_BEARER or not form.get("assertion"):
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."}
        try:
            claims = jwt.decode(form["assertion"], certs=self.account_certs, audience=GRANT_AUDIENCE)
        except (ValueError, auth_exceptions.GoogleAuthError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        if claims.get("iss") != self.account_email:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: unknown issuer."}
        access_token = f"ya29.local-{secrets.token_urlsafe(24)}"
        with self.lock:
            self.access_tokens[access_token] = time.time() + 3600
        return 200, {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"}

    def check_bearer(self, header: str | None) -> None:
        scheme, _, token = (header or "").partition(" ")
        with self.lock:
            valid = scheme.lower() == "bearer" and self.access_tokens.get(token, 0) > time.time()
        if not valid:
            raise GoogleError(401, "UNAUTHENTICATED", _UNAUTHENTICATED, "required")
        if self.unavailable:
            raise GoogleError(503, "UNAVAILABLE", "The service is currently unavailable.", "backendError")

    def purchase(self, package: str, token: str) -> lifecycle.Purchase:
        if package != self.package:
            raise not_found("No application was found for the given package name.", "applicationNotFound")
        try:
            return self.purchases.get(token)
        except UnknownToken:
            raise invalid("The purchase token is invalid.", "purchaseTokenInvalid") from None
        except ExpiredTooLong:
            message = (
                "The subscription purchase is no longer available for query because it has been expired for too long."
            )
            raise GoogleError(410, "GONE", message, "subscriptionPurchaseNoLongerAvailable") from None

    def acknowledge(self, package: str, product: str, token: str) -> None:
        purchase = self.purchase(package, token)
        if product != purchase.product_id:
            raise invalid("The product ID does not match the purchase.", "productIdMismatch")
        if purchase.state not in lifecycle.PAID_STATES:
            raise GoogleError(
                400, "FAILED_PRECONDITION", "The subscription purchase is not in a valid state.", "invalidPurchaseState"
            )
        purchase.acknowledged = True

    def refund_unacknowledged(self) -> list[dict[str, Any]]:
        """Google's three-day rule: each paid purchase still unacknowledged is refunded and revoked."""
        sent = []
        for purchase in self.purchases.unacknowledged_past_deadline():
            self.purchases.move(purchase.token, "refund")
            sent.append(self.notify(voided=purchase.token))
        return sent

    def notify(
        self,
        *,
        kind: int | None = None,
        voided: str | None = None,
        test: bool = False,
        token: str = "",
        deliver: bool = True,
    ) -> dict[str, Any]:
        """Publishes a DeveloperNotification and, with `deliver`, pushes it once; answers the
        message id and the push's outcome."""
        notification: dict[str, Any] = {
            "version": "1.0",
            "packageName": self.package,
            "eventTimeMillis": str(int(self.clock.now().timestamp() * 1000)),
        }
        if kind is not None:
            notification["subscriptionNotification"] = {
                "version": "1.0",
                "notificationType": kind,
                "purchaseToken": token,
            }
        elif voided is not None:
            notification["voidedPurchaseNotification"] = {
                "purchaseToken": voided,
                "orderId": f"GPA.{voided[:4]}-0000",
                "productType": VOIDED_SUBSCRIPTION,
                "refundType": FULL_REFUND,
            }
        elif test:
            notification["testNotification"] = {"version": "1.0"}
        message_id = self.pusher.publish(notification)
        return self.pusher.push(message_id) if deliver else {"message_id": message_id, "status": None, "body": None}


def _public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _body(request: Request) -> dict[str, Any]:
    data = request.get_json(silent=True, force=True)
    return data if isinstance(data, dict) else {}


Handler = Callable[[GooglePlay, Request, dict[str, str]], Response]


def _token(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    status, body = play.grant(dict(request.form))
    return _json(body, status)


def _get(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    play.check_bearer(request.headers.get("Authorization"))
    return _json(play.purchase(args["package"], args["token"]).resource())


def _acknowledge(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    play.check_bearer(request.headers.get("Authorization"))
    play.acknowledge(args["package"], args["product"], args["token"])
    return Response(b"", status=200, mimetype="application/json")


def _buy(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    body = _body(request)
    purchase = play.purchases.buy(
        str(body.get("product_id") or "premium_monthly"),
        body.get("obfuscated_account_id"),
        pending=bool(body.get("pending")),
        linked_token=body.get("linked_purchase_token"),
    )
    deliver = body.get("deliver", True) is not False
    # A pending purchase sends nothing until it is paid (complete_pending) or canceled.
    pushed = (
        None if body.get("pending") else play.notify(kind=lifecycle.PURCHASED, token=purchase.token, deliver=deliver)
    )
    return _json({"purchase_token": purchase.token, "purchase": purchase.resource(), "delivery": pushed})


def _show(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    purchase = play.purchases.by_token.get(args["token"])
    if purchase is None:
        raise not_found("No such purchase.")
    return _json(purchase.resource())


def _move(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    try:
        kind = play.purchases.move(args["token"], args["action"])
    except UnknownToken:
        raise not_found("No such purchase.") from None
    except ValueError as exc:
        raise invalid(str(exc), "invalid") from None
    deliver = _body(request).get("deliver", True) is not False
    if args["action"] == "refund":
        pushed = play.notify(voided=args["token"], deliver=deliver)
    else:
        pushed = play.notify(kind=kind, token=args["token"], deliver=deliver)
    return _json(
        {"notification_type": kind, "purchase": play.purchases.by_token[args["token"]].resource(), "delivery": pushed}
    )


def _test_notification(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    return _json({"delivery": play.notify(test=True)})


def _message(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    """The push body of a message, as Pub/Sub sends it."""
    if args["message_id"] not in play.pusher.messages:
        raise not_found("No such message.")
    return _json(play.pusher.messages[args["message_id"]])


def _oidc_token(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    """A token of the local issuer for any audience and account, to show what the endpoint refuses."""
    body = _body(request)
    return _json({"token": play.pusher.issuer.token(str(body["audience"]), str(body["email"]))})


def _push_again(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    if args["message_id"] not in play.pusher.messages:
        raise not_found("No such message.")
    return _json({"delivery": play.pusher.push(args["message_id"])})


def _replay(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    """Delivers the listed messages again, in the order given (an out-of-order delivery)."""
    wanted = [str(m) for m in _body(request).get("message_ids", [])]
    if unknown := [m for m in wanted if m not in play.pusher.messages]:
        raise not_found(f"No such messages: {unknown}")
    return _json({"deliveries": [play.pusher.push(m) for m in wanted]})


def _deliveries(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    with play.pusher.lock:
        return _json({"deliveries": list(play.pusher.deliveries)})


def _clock(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    play.clock.offset += timedelta(seconds=float(_body(request).get("advance_s", 0)))
    refunded = play.refund_unacknowledged()
    return _json({"now": lifecycle.rfc3339(play.clock.now()), "refunds": refunded})


def _faults(play: GooglePlay, request: Request, args: dict[str, str]) -> Response:
    play.unavailable = bool(_body(request).get("unavailable"))
    return _json({"unavailable": play.unavailable})


HANDLERS: dict[str, Handler] = {
    "token": _token,
    "certs": lambda play, request, args: _json(play.pusher.issuer.certs()),
    "get": _get,
    "acknowledge": _acknowledge,
    "buy": _buy,
    "show": _show,
    "move": _move,
    "test_notification": _test_notification,
    "message": _message,
    "oidc_token": _oidc_token,
    "push_again": _push_again,
    "replay": _replay,
    "deliveries": _deliveries,
    "clock": _clock,
    "faults": _faults,
    "healthz": lambda play, request, args: _json({"status": "ok"}),
}


class GooglePlayApp:
    def __init__(self, play: GooglePlay) -> None:
        self.play = play

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, args = URLS.bind_to_environ(environ).match()
            response = HANDLERS[str(endpoint)](self.play, request, dict(args))
        except GoogleError as exc:
            response = _json(exc.body, exc.code)
        except HTTPException as exc:
            response = _json(
                {"error": {"code": exc.code, "message": exc.description, "status": "NOT_FOUND"}}, exc.code or 404
            )
        return response(environ, start_response)


def main() -> None:
    config = settings()
    base = config.google_play_api_base
    pusher = Pusher(Issuer(), f"{config.gateway_url}/google-play/notifications", LOCAL_PUSH_ACCOUNT)
    play = GooglePlay(config.google_play_package_name, config.google_play_service_account_key, pusher)
    server = make_server("127.0.0.1", port_of_url(base), GooglePlayApp(play), threaded=True)
    print(f"local Google Play listening on {base}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
