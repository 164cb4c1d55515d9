"""The local Pub/Sub push of Google Play's real-time developer notifications.

Google Play publishes a DeveloperNotification to the RTDN topic; Pub/Sub pushes it to the
subscription's endpoint wrapped as {"message": {"data", "messageId", "publishTime",
"attributes"}, "subscription"}, with an OIDC token for the subscription's service account and
audience. Here one process plays both, with an issuer key of its own whose certificates it
publishes as https://www.googleapis.com/oauth2/v1/certs does ({key id: x509 PEM}).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

from devstack.google_play_purchases import rfc3339

ISSUER_KEY_ID = "local-google-issuer"
SUBSCRIPTION = "projects/demo-wellness/subscriptions/google-play-rtdn-push"


class Issuer:
    """Signs Google-style OIDC tokens and publishes the certificate that verifies them."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local-google-issuer")])
        now = datetime.now(UTC)
        self.certificate_pem = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(1)
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .sign(self._key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
            .decode()
        )
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self._signer = crypt.RSASigner.from_string(pem, key_id=ISSUER_KEY_ID)

    def certs(self) -> dict[str, str]:
        return {ISSUER_KEY_ID: self.certificate_pem}

    def token(self, audience: str, email: str) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://accounts.google.com",
            "aud": audience,
            "azp": "local-pubsub",
            "sub": "100000000000000000001",
            "email": email,
            "email_verified": True,
            "iat": now,
            "exp": now + 3600,
        }
        return str(jwt.encode(self._signer, claims).decode())


class Pusher:
    """Publishes notifications as Pub/Sub messages and pushes them to the endpoint; keeps each
    message so a control can deliver it again (a duplicate) or in another order."""

    def __init__(self, issuer: Issuer, endpoint: str, push_account: str) -> None:
        self.issuer = issuer
        self.endpoint = endpoint
        self.push_account = push_account
        self.lock = threading.Lock()
        self.messages: dict[str, dict[str, Any]] = {}
        self.deliveries: list[dict[str, Any]] = []
        self._ids = itertools.count(int(time.time() * 1000))

    def publish(self, notification: dict[str, Any]) -> str:
        with self.lock:
            message_id = str(next(self._ids))
            published = rfc3339(datetime.now(UTC))
            self.messages[message_id] = {
                "message": {
                    "data": base64.b64encode(json.dumps(notification).encode()).decode(),
                    "messageId": message_id,
                    "message_id": message_id,
                    "publishTime": published,
                    "publish_time": published,
                    "attributes": {},
                },
                "subscription": SUBSCRIPTION,
            }
        return message_id

    def push(self, message_id: str) -> dict[str, Any]:
        """One delivery of the message, answered with the endpoint's status and body."""
        body = self.messages[message_id]
        token = self.issuer.token(self.endpoint, self.push_account)
        response = requests.post(self.endpoint, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text
        delivery = {"message_id": message_id, "status": response.status_code, "body": answer}
        with self.lock:
            self.deliveries.append(delivery)
        return delivery
