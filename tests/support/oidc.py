"""Google-style OIDC tokens signed with a key made here, and a 127.0.0.1 server publishing its
certificate the way https://www.googleapis.com/oauth2/v1/certs does ({key id: x509 PEM})."""

from __future__ import annotations

import datetime
import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

from tests.support.json_server import json_server

KEY_ID = "test-key-1"


@functools.cache
def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def certificate_pem() -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "oidc-test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_key().public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(_key(), hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def oidc_token(audience: str, email: str, *, lifetime_s: int = 3600, **overrides: Any) -> str:
    """A token shaped like those Cloud Scheduler and Cloud Tasks send, signed with the local key."""
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": audience,
        "sub": "1234567890",
        "email": email,
        "email_verified": True,
        "iat": now - 10,
        "exp": now + lifetime_s,
        **overrides,
    }
    pem = _key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = crypt.RSASigner.from_string(pem, key_id=KEY_ID)
    return jwt.encode(signer, claims).decode()


@contextmanager
def certs_server() -> Iterator[str]:
    """The URL of the local key's certificates."""
    with json_server(200, {KEY_ID: certificate_pem()}) as served:
        yield f"http://{served.address}/oauth2/v1/certs"
