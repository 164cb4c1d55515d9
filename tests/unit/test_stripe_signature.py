"""functions/stripe_webhook/signature.verified_event: Stripe-Signature checks (no server needed)."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from functions.stripe_webhook.signature import verified_event
from lib import errors
from lib.config import settings

PAYLOAD = json.dumps({"id": "evt_sig_test", "object": "event", "type": "invoice.paid", "data": {"object": {}}})


def header(secret: str, *, at: int | None = None) -> str:
    return str(stripe.WebhookSignature.generate_signature_header(PAYLOAD, secret, timestamp=at))


def test_valid_signature_gives_the_event() -> None:
    assert verified_event(PAYLOAD.encode(), header(settings().stripe_webhook_secret))["id"] == "evt_sig_test"


@pytest.mark.parametrize(
    "value",
    [None, "", "garbage", "t=abc,v1=00", "t=1700000000", "v1=deadbeef"],
    ids=["missing", "empty", "garbage", "bad-timestamp", "no-v1", "no-timestamp"],
)
def test_missing_or_malformed_header_is_invalid_signature(value: str | None) -> None:
    with pytest.raises(errors.InvalidStripeSignature):
        verified_event(PAYLOAD.encode(), value)


def test_wrong_secret_is_invalid_signature() -> None:
    with pytest.raises(errors.InvalidStripeSignature):
        verified_event(PAYLOAD.encode(), header("whsec_someone_else"))


def test_tampered_body_is_invalid_signature() -> None:
    signed = header(settings().stripe_webhook_secret)
    with pytest.raises(errors.InvalidStripeSignature):
        verified_event(PAYLOAD.replace("invoice.paid", "invoice.payment_failed").encode(), signed)


def test_stale_timestamp_is_invalid_signature_even_when_signed() -> None:
    stale = int(time.time()) - settings().stripe_webhook_tolerance_s - 5
    with pytest.raises(errors.InvalidStripeSignature):
        verified_event(PAYLOAD.encode(), header(settings().stripe_webhook_secret, at=stale))


def test_rotation_header_with_old_and_new_signatures_is_accepted() -> None:
    now = int(time.time())
    old = header("whsec_retired_secret", at=now).split(",")[1]
    current = header(settings().stripe_webhook_secret, at=now)
    assert verified_event(PAYLOAD.encode(), f"{current},{old}")["id"] == "evt_sig_test"
    assert verified_event(PAYLOAD.encode(), f"t={now},{old},{current.split(',')[1]}")["id"] == "evt_sig_test"


def test_rotation_on_our_side_accepts_either_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings(), "stripe_webhook_secret", "whsec_new_one, whsec_old_one")
    assert verified_event(PAYLOAD.encode(), header("whsec_old_one"))["id"] == "evt_sig_test"
    assert verified_event(PAYLOAD.encode(), header("whsec_new_one"))["id"] == "evt_sig_test"


def test_non_utf8_body_is_invalid_signature() -> None:
    with pytest.raises(errors.InvalidStripeSignature):
        verified_event(b"\xff\xfe", header(settings().stripe_webhook_secret))


def test_signed_body_that_is_not_an_event_is_invalid_argument() -> None:
    body = "[1, 2]"
    signed = stripe.WebhookSignature.generate_signature_header(body, settings().stripe_webhook_secret)
    with pytest.raises(errors.InvalidArgument):
        verified_event(body.encode(), signed)
