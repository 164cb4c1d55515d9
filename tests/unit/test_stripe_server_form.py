"""devstack/stripe_server: Stripe's form encoding and signature header, as the stripe library writes them."""

from __future__ import annotations

import json
import time
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

import stripe
from stripe._encode import _api_encode

from devstack.stripe_server import StripeState, decode_form
from devstack.stripe_webhooks import signature_header


def roundtrip(params: dict[str, object]) -> dict[str, object]:
    return decode_form(parse_qsl(urlencode(list(_api_encode(params)))))


def test_nested_dicts_and_lists_decode_as_the_library_encodes_them() -> None:
    params = {
        "mode": "subscription",
        "line_items": [{"price": "price_1", "quantity": "1"}],
        "subscription_data": {"metadata": {"uid": "u1"}},
        "types": ["a.b", "c.d"],
        "created": {"gte": "5"},
    }
    assert roundtrip(params) == params


def test_signature_header_verifies_with_the_stripe_library_for_each_secret() -> None:
    payload = json.dumps({"id": "evt_1"})
    value = signature_header(payload, ["whsec_a", "whsec_b"], int(time.time()))
    assert value.count("v1=") == 2
    for secret in ("whsec_a", "whsec_b"):
        assert stripe.WebhookSignature.verify_header(payload, value, secret, tolerance=300)


class _Delivered:
    def __init__(self, ids: set[str]) -> None:
        self.ids = ids

    def delivered_ids(self) -> set[str]:
        return self.ids


def test_the_event_list_filters_on_delivery_success_as_stripe_does() -> None:
    state = StripeState(cast(Any, _Delivered({"evt_ok"})), "http://127.0.0.1:1")
    state.events = [{"id": "evt_ok", "type": "a", "created": 1}, {"id": "evt_lost", "type": "a", "created": 2}]
    assert [e["id"] for e in state.list_events({"delivery_success": "false"})] == ["evt_lost"]
    assert [e["id"] for e in state.list_events({"delivery_success": "true"})] == ["evt_ok"]
    assert [e["id"] for e in state.list_events({})] == ["evt_lost", "evt_ok"]
