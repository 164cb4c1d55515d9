"""The Stripe-Signature check of a webhook delivery: only the webhook function verifies one,
so only it reads (and is given) the signing secrets."""

from __future__ import annotations

import json
from typing import Any

import stripe

from lib import errors
from lib.config import settings


def verified_event(payload: bytes, signature_header: str | None) -> dict[str, Any]:
    """The event, if `Stripe-Signature` holds a valid v1 signature for one of our secrets
    within the tolerance; during a rotation Stripe sends one signature per secret."""
    config = settings()
    try:
        body = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.InvalidStripeSignature("the body is not what Stripe signed") from exc
    if not any(_signed_with(body, signature_header, secret) for secret in config.stripe_webhook_secrets):
        raise errors.InvalidStripeSignature("the Stripe-Signature header is missing, stale or does not match")
    try:
        event = json.loads(body)
    except json.JSONDecodeError as exc:
        raise errors.InvalidArgument("body: not JSON") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise errors.InvalidArgument("body: a Stripe event needs an id and a type")
    return event


def _signed_with(body: str, signature_header: str | None, secret: str) -> bool:
    try:
        return bool(
            stripe.WebhookSignature.verify_header(
                body, signature_header, secret, tolerance=settings().stripe_webhook_tolerance_s
            )
        )
    except stripe.SignatureVerificationError:
        return False
