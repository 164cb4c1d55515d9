"""The root certificates an App Store signature must chain to.

A deployment trusts Apple's roots, shipped in `roots/` (from Apple PKI,
https://www.apple.com/certificateauthority/; tests/unit/test_app_store_trust.py pins their
SHA-256 fingerprints). A local stack trusts only the root of the local App Store's chain
(`app_store_local_chain`), which a production Settings refuses.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from lib.config import Settings

ROOTS_DIR = Path(__file__).resolve().parent / "roots"
APPLE_ROOTS = ("AppleIncRootCertificate.cer", "AppleRootCA-G2.cer", "AppleRootCA-G3.cer")


def apple_roots() -> list[bytes]:
    """Apple's root certificates, DER."""
    return [(ROOTS_DIR / name).read_bytes() for name in APPLE_ROOTS]


def local_root(chain_file: Path) -> bytes:
    """The root (the first certificate) of the local App Store's chain file, DER."""
    root = x509.load_pem_x509_certificates(chain_file.read_bytes())[0]
    return root.public_bytes(serialization.Encoding.DER)


def trusted_roots(config: Settings) -> list[bytes]:
    if config.app_store_local_chain:
        return [local_root(Path(config.app_store_local_chain))]
    return apple_roots()
