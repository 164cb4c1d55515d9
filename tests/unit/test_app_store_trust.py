"""Whom the App Store verifier trusts: Apple's roots, pinned by the SHA-256 fingerprints Apple
publishes on its PKI page (https://www.apple.com/certificateauthority/, "Apple Root
Certificates"), and in a local stack only the local App Store's root. A payload that does not
chain to a trusted root, or names another app or environment, is refused."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from appstoreserverlibrary.models.Environment import Environment
from appstoreserverlibrary.signed_data_verifier import SignedDataVerifier, VerificationException, VerificationStatus
from cryptography import x509

from devstack.app_store_chain import Chain, new_chain
from devstack.app_store_state import now_ms
from functions.stripe_webhook.app_store import trust
from lib.config import Settings

# Apple PKI, https://www.apple.com/certificateauthority/: SHA-256 of each root certificate's DER.
APPLE_ROOT_FINGERPRINTS = {
    "AppleIncRootCertificate.cer": "B0:B1:73:0E:CB:C7:FF:45:05:14:2C:49:F1:29:5E:6E:"
    "DA:6B:CA:ED:7E:2C:68:C5:BE:91:B5:A1:10:01:F0:24",
    "AppleRootCA-G2.cer": "C2:B9:B0:42:DD:57:83:0E:7D:11:7D:AC:55:AC:8A:E1:"
    "94:07:D3:8E:41:D8:8F:32:15:BC:3A:89:04:44:A0:50",
    "AppleRootCA-G3.cer": "63:34:3A:BF:B8:9A:6A:03:EB:B5:7E:9B:3F:5F:A7:BE:"
    "7C:4F:5C:75:6F:30:17:B3:A8:C4:88:C3:65:3E:91:79",
}
BUNDLE_ID = "com.wellness.app"
APP_APPLE_ID = 6450000001


def fingerprint(der: bytes) -> str:
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


@pytest.mark.parametrize("name", trust.APPLE_ROOTS)
def test_each_shipped_root_is_the_one_apple_publishes(name: str) -> None:
    der = (trust.ROOTS_DIR / name).read_bytes()
    assert fingerprint(der) == APPLE_ROOT_FINGERPRINTS[name]


@pytest.mark.parametrize("name", trust.APPLE_ROOTS)
def test_each_shipped_root_is_a_self_signed_apple_ca(name: str) -> None:
    certificate = x509.load_der_x509_certificate((trust.ROOTS_DIR / name).read_bytes())
    assert certificate.subject == certificate.issuer
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert "Apple" in certificate.subject.rfc4514_string()


def test_a_deployment_trusts_exactly_apples_roots() -> None:
    config = Settings(environment="production", app_store_api_base="", app_store_local_chain="")
    assert sorted(fingerprint(der) for der in trust.trusted_roots(config)) == sorted(APPLE_ROOT_FINGERPRINTS.values())


def test_a_local_stack_trusts_only_the_local_root(tmp_path: Path) -> None:
    chain = new_chain()
    path = tmp_path / "chain.pem"
    path.write_bytes(chain.pem())
    config = Settings(environment="local", app_store_local_chain=str(path))
    assert trust.trusted_roots(config) == [chain.root_der]


def notification(**data: Any) -> dict[str, Any]:
    return {
        "notificationType": "SUBSCRIBED",
        "subtype": "INITIAL_BUY",
        "notificationUUID": str(uuid.uuid4()),
        "version": "2.0",
        "signedDate": now_ms(),
        "data": {"appAppleId": APP_APPLE_ID, "bundleId": BUNDLE_ID, "environment": "Production", **data},
    }


def verifier_for(chain: Chain) -> SignedDataVerifier:
    return SignedDataVerifier([chain.root_der], False, Environment.PRODUCTION, BUNDLE_ID, APP_APPLE_ID)


@pytest.fixture(scope="module")
def trusted() -> Chain:
    return new_chain("Trusted")


def test_a_payload_chained_to_the_trusted_root_is_accepted(trusted: Chain) -> None:
    payload = notification()
    decoded = verifier_for(trusted).verify_and_decode_notification(trusted.sign(payload))
    assert decoded.notificationUUID == payload["notificationUUID"]


def refusal(verifier: SignedDataVerifier, signed: str) -> VerificationStatus:
    with pytest.raises(VerificationException) as refused:
        verifier.verify_and_decode_notification(signed)
    return refused.value.status


def test_a_payload_chained_to_another_root_is_refused(trusted: Chain) -> None:
    assert (
        refusal(verifier_for(trusted), new_chain("Other").sign(notification()))
        is VerificationStatus.VERIFICATION_FAILURE
    )


def test_apples_roots_refuse_the_local_chain(trusted: Chain) -> None:
    apple = SignedDataVerifier(trust.apple_roots(), False, Environment.PRODUCTION, BUNDLE_ID, APP_APPLE_ID)
    assert refusal(apple, trusted.sign(notification())) is VerificationStatus.VERIFICATION_FAILURE


def test_a_payload_whose_signature_was_altered_is_refused(trusted: Chain) -> None:
    header, body, signature = trusted.sign(notification()).split(".")
    altered = ("B" if signature[5] == "A" else "A").join((signature[:5], signature[6:]))
    assert refusal(verifier_for(trusted), f"{header}.{body}.{altered}") is VerificationStatus.VERIFICATION_FAILURE


def test_a_payload_whose_chain_skips_the_intermediate_is_refused(trusted: Chain) -> None:
    short = Chain(trusted.root, trusted.root, trusted.leaf, trusted.leaf_key)
    assert refusal(verifier_for(trusted), short.sign(notification())) is VerificationStatus.VERIFICATION_FAILURE


def test_a_payload_for_another_app_is_refused(trusted: Chain) -> None:
    signed = trusted.sign(notification(bundleId="com.other.app"))
    assert refusal(verifier_for(trusted), signed) is VerificationStatus.INVALID_APP_IDENTIFIER


def test_a_payload_for_another_environment_is_refused(trusted: Chain) -> None:
    signed = trusted.sign(notification(environment="Sandbox"))
    assert refusal(verifier_for(trusted), signed) is VerificationStatus.INVALID_ENVIRONMENT
