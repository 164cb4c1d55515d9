"""The local App Store's certificate chain and the JWS it signs with it.

Apple signs every App Store JWS with a leaf certificate that chains to an Apple root through an
intermediate; app-store-server-library's chain verifier checks that chain and two Apple
extensions (1.2.840.113635.100.6.11.1 on the leaf, 1.2.840.113635.100.6.2.1 on the
intermediate). This chain has the same shape under a root made for the local stack, which only a
local deployment trusts (lib/config.py, `app_store_local_chain`).
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LEAF_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.11.1")
INTERMEDIATE_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.2.1")
# Apple marks both extensions with an ASN.1 NULL value.
_ASN1_NULL = b"\x05\x00"


@dataclass(frozen=True)
class Chain:
    root: x509.Certificate
    intermediate: x509.Certificate
    leaf: x509.Certificate
    leaf_key: ec.EllipticCurvePrivateKey

    @property
    def root_der(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.DER)

    def x5c(self) -> list[str]:
        """The JWS header's chain, leaf first, each certificate base64 DER (RFC 7515 4.1.6)."""
        certificates = (self.leaf, self.intermediate, self.root)
        return [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in certificates]

    def sign(self, payload: dict[str, Any]) -> str:
        """A compact JWS of `payload` as the App Store signs one: ES256 with the chain in `x5c`."""
        return jwt.encode(payload, self.leaf_key, algorithm="ES256", headers={"x5c": self.x5c()})

    def pem(self) -> bytes:
        certificates = b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in (self.root, self.intermediate, self.leaf)
        )
        key = self.leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return certificates + key


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Local App Store"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        ]
    )


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool,
    apple_oid: x509.ObjectIdentifier | None,
    now: datetime,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (_name(subject), key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if apple_oid is not None:
        builder = builder.add_extension(x509.UnrecognizedExtension(apple_oid, _ASN1_NULL), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def new_chain(name: str = "Local App Store", now: datetime | None = None) -> Chain:
    """A fresh root -> intermediate -> leaf chain with Apple's extensions."""
    now = now or datetime.now(UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    intermediate_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate(f"{name} Root CA", root_key, None, ca=True, apple_oid=None, now=now)
    intermediate = _certificate(
        f"{name} Intermediate CA",
        intermediate_key,
        (root.subject, root_key),
        ca=True,
        apple_oid=INTERMEDIATE_OID,
        now=now,
    )
    leaf = _certificate(
        f"{name} Signing", leaf_key, (intermediate.subject, intermediate_key), ca=False, apple_oid=LEAF_OID, now=now
    )
    return Chain(root, intermediate, leaf, leaf_key)


def chain_from_pem(data: bytes) -> Chain:
    root, intermediate, leaf = x509.load_pem_x509_certificates(data)
    key = serialization.load_pem_private_key(data[data.index(b"-----BEGIN PRIVATE KEY-----") :], password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the local App Store's signing key must be an EC key")
    return Chain(root, intermediate, leaf, key)


def local_chain(path: Path) -> Chain:
    """The chain stored at `path`, made on first use. Every local App Store shares it, so a
    second stack started beside the first trusts the same root; the first to store one wins."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".app-store-chain-", delete=False) as draft:
            draft.write(new_chain().pem())
        try:
            with contextlib.suppress(FileExistsError):
                os.link(draft.name, path)
        finally:
            os.unlink(draft.name)
    return chain_from_pem(path.read_bytes())
