"""Which Stripe events the webhook acts on, decided before anything asks Stripe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import stripe

from functions.stripe_webhook import events
from functions.stripe_webhook.deliveries import Outcome
from lib import stripe_api


def _unreachable(charge_id: str) -> str:
    raise stripe.APIConnectionError(f"no answer for {charge_id}")


def test_a_dispute_event_the_webhook_does_not_act_on_is_ignored_without_asking_stripe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A dispute names only its charge, so its customer is asked of Stripe; for an event type the
    webhook ignores anyway, a slow Stripe must not turn the delivery into a 503."""
    monkeypatch.setattr(stripe_api, "customer_of_charge", _unreachable)
    event = {"type": "charge.dispute.funds_withdrawn", "data": {"object": {"object": "dispute", "charge": "ch_1"}}}
    assert events._process(event) is Outcome.IGNORED


def test_a_handled_dispute_event_asks_stripe_for_its_customer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stripe_api, "customer_of_charge", _unreachable)
    event = {"type": "charge.dispute.created", "data": {"object": {"object": "dispute", "charge": "ch_1"}}}
    with pytest.raises(events.errors.Unavailable):
        events._process(event)


def test_the_deploy_guide_subscribes_the_endpoint_to_every_handled_type() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    named = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)`", guide))
    assert named >= events.HANDLED_TYPES, sorted(events.HANDLED_TYPES - named)
