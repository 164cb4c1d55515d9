"""`python -m devstack.app_store_server`: a local App Store, on settings().app_store_api_base's port.

It serves the App Store Server API endpoints app-store-server-library's client calls (Get
Transaction Info, Get All Subscription Statuses, Request a Test Notification), checks the
client's ES256 bearer token as Apple does (key id, issuer, audience, bundle id, at most an hour
ahead) and answers Apple's errors (401 without a body; 404 with errorCode 4040010 for a
transaction it does not know; 400 with 4000006 for an id that is not one). Everything it signs
chains to the local root (devstack/app_store_chain.py). Under `/_local/` (docs/local-stack.md)
it buys, renews, fails renewals, refunds and revokes, and posts each step's App Store Server
Notification V2 to the stack's route; a notification can be held back, then sent (again, or
after a later one) to play Apple's late, repeated and out-of-order deliveries.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization

from devstack.app_store_chain import local_chain
from devstack.app_store_state import DEFAULT_PRODUCT, AppStore, Notification, Subscription, UnknownTransaction
from devstack.stack import port_of_url
from lib.config import Settings, settings

NOTIFICATION_PATH = "/app-store/notifications"
_API = re.compile(r"^/inApps/v1/(?P<kind>transactions|subscriptions)/(?P<id>[^/]+)$")
_CONTROL = re.compile(r"^/_local/subscriptions/(?P<id>[^/]+)/(?P<step>[a-z_]+)$")
_SEND = re.compile(r"^/_local/notifications/(?P<uuid>[^/]+)/send$")
_TRANSACTION_ID = re.compile(r"^[0-9]{1,64}$")
# Apple refuses a token whose expiry is more than 60 minutes ahead.
MAX_TOKEN_LIFETIME_S = 3600
# Apple's error bodies (App Store Server API, "Error codes").
_NOT_FOUND = {"errorCode": 4040010, "errorMessage": "Transaction id not found."}
_INVALID_ID = {"errorCode": 4000006, "errorMessage": "Invalid transaction id."}
_FAULTS = {
    429: {"errorCode": 4290000, "errorMessage": "Rate limit exceeded."},
    500: {"errorCode": 5000001, "errorMessage": "An unknown error occurred. Please try again."},
}


def bearer_valid(header: str | None, config: Settings, now: float | None = None) -> bool:
    """The client's token as Apple checks it: ES256 by the In-App Purchase key named in `kid`,
    for our issuer, audience `appstoreconnect-v1` and bundle id, unexpired and under an hour ahead."""
    scheme, _, token = (header or "").partition(" ")
    if scheme != "Bearer" or not token:
        return False
    key = serialization.load_pem_private_key(config.app_store_private_key.encode(), password=None).public_key()
    try:
        if jwt.get_unverified_header(token).get("kid") != config.app_store_key_id:
            return False
        claims = jwt.decode(
            token,
            key,  # type: ignore[arg-type]
            algorithms=["ES256"],
            audience="appstoreconnect-v1",
            issuer=config.app_store_issuer_id,
            options={"require": ["exp", "aud", "iss", "bid"]},
        )
    except jwt.PyJWTError:
        return False
    return bool(
        claims["bid"] == config.app_store_bundle_id and claims["exp"] <= (now or time.time()) + MAX_TOKEN_LIFETIME_S
    )


class AppStoreHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: AppStoreServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the stack's function logs tell what each request did."""

    def _answer(self, status: int, body: dict[str, Any] | None = None) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _json_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        return body if isinstance(body, dict) else {}

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._answer(200, {"status": "ok"})
        elif path == "/_local/notifications":
            with self.server.store.lock:
                self._answer(200, {"notifications": [n.summary() for n in self.server.store.notifications.values()]})
        elif match := _API.match(path):
            self._api(match["kind"], match["id"])
        else:
            self._answer(404, {"errorCode": 4040000, "errorMessage": "Not found."})

    def _api(self, kind: str, transaction_id: str) -> None:
        if not bearer_valid(self.headers.get("Authorization"), self.server.config):
            self._answer(401)
            return
        if self.server.fault_status in _FAULTS:
            self._answer(self.server.fault_status, _FAULTS[self.server.fault_status])
            return
        if not _TRANSACTION_ID.match(transaction_id):
            self._answer(400, _INVALID_ID)
            return
        store = self.server.store
        try:
            if kind == "subscriptions":
                self._answer(200, store.statuses(transaction_id))
                return
            with store.lock:
                subscription, transaction = store.transaction(transaction_id)
                signed = store.signed_transaction(subscription, transaction)
            self._answer(200, {"signedTransactionInfo": signed})
        except UnknownTransaction:
            self._answer(404, _NOT_FOUND)

    def do_PUT(self) -> None:
        if urlsplit(self.path).path != "/_local/faults":
            self._answer(404, {"errorCode": 4040000, "errorMessage": "Not found."})
            return
        status = self._json_body().get("status")
        self.server.fault_status = status if status in _FAULTS else None
        self._answer(200, {"status": self.server.fault_status})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        store = self.server.store
        if path == "/inApps/v1/notifications/test":
            if not bearer_valid(self.headers.get("Authorization"), self.server.config):
                self._answer(401)
                return
            notification = store.test_notification()
            self._answer(200, {"testNotificationToken": notification.uuid})
            self.server.deliver(notification)
            return
        try:
            body = self._json_body()
        except ValueError:
            self._answer(400, {"error": "the body is not JSON"})
            return
        if path == "/_local/subscriptions":
            token = body.get("app_account_token")
            subscription, notification = store.buy(str(body.get("product_id") or DEFAULT_PRODUCT), token)
            self._control(subscription, notification, body)
        elif path == "/_local/notifications/test":
            self._control(None, store.test_notification(), body)
        elif match := _SEND.match(path):
            with store.lock:
                found = store.notifications.get(match["uuid"])
            if found is None:
                self._answer(404, {"error": "no such notification"})
            else:
                self._answer(200, {**found.summary(), "status": self.server.deliver(found)})
        elif match := _CONTROL.match(path):
            self._step(match["id"], match["step"], body)
        else:
            self._answer(404, {"error": "no such control"})

    def _step(self, transaction_id: str, step: str, body: dict[str, Any]) -> None:
        store = self.server.store
        steps: dict[str, Callable[[Subscription], Notification]] = {
            "renew": store.renew,
            "fail_renewal": lambda s: store.fail_renewal(s, grace=bool(body.get("grace"))),
            "end_grace": store.end_grace,
            "expire": store.expire,
            "auto_renew": lambda s: store.set_auto_renew(s, bool(body.get("on"))),
            "refund": store.refund,
            "revoke": store.revoke,
        }
        if step not in steps:
            self._answer(404, {"error": f"no step {step!r}; one of {sorted(steps)}"})
            return
        try:
            subscription = store.subscription_of(transaction_id)
        except UnknownTransaction:
            self._answer(404, {"error": f"no subscription with transaction {transaction_id}"})
            return
        self._control(subscription, steps[step](subscription), body)

    def _control(self, subscription: Subscription | None, notification: Notification, body: dict[str, Any]) -> None:
        """Answers what the step did; the notification is posted unless `"deliver": false` holds it back."""
        answer: dict[str, Any] = notification.summary()
        if subscription is not None:
            answer |= {
                "original_transaction_id": subscription.original_transaction_id,
                "transaction_id": subscription.latest.transaction_id,
                "status": subscription.status,
            }
        if body.get("deliver", True):
            answer["delivery_status"] = self.server.deliver(notification)
        self._answer(200, answer)


class AppStoreServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, config: Settings) -> None:
        super().__init__(("127.0.0.1", port), AppStoreHandler)
        self.config = config
        self.store = AppStore(
            local_chain(Path(config.app_store_local_chain)),
            config.app_store_bundle_id,
            config.app_store_app_apple_id,
            config.app_store_environment,
        )
        self.fault_status: int | None = None
        self.target = f"{config.gateway_url}{NOTIFICATION_PATH}"

    def deliver(self, notification: Notification) -> int | str:
        """Posts the notification as Apple does ({"signedPayload": ...}); answers the status, or the
        error when nothing answered. Apple retries on anything but 200; here a test sends again."""
        try:
            response = requests.post(self.target, json={"signedPayload": notification.signed_payload}, timeout=30)
            outcome: int | str = response.status_code
        except requests.RequestException as exc:
            outcome = type(exc).__name__
        with self.store.lock:
            notification.deliveries.append(outcome)
        return outcome


def main() -> None:
    config = settings()
    server = AppStoreServer(port_of_url(config.app_store_api_base), config)
    print(f"local App Store listening on {config.app_store_api_base}, notifying {server.target}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
