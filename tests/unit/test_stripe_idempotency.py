"""devstack/stripe_idempotency: the local Stripe's idempotency layer, as Stripe documents it."""

from __future__ import annotations

import itertools

import pytest

from devstack.stripe_idempotency import KEEP_S, IdempotencyKeys, IdempotencyRefused

ENDPOINT = "POST /v1/checkout/sessions"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def keys_and_calls() -> tuple[IdempotencyKeys, Clock, itertools.count[int]]:
    clock = Clock()
    return IdempotencyKeys(clock), clock, itertools.count(1)


def test_the_same_key_and_parameters_replay_the_first_answer() -> None:
    keys, _, made = keys_and_calls()
    first = keys.run("k", ENDPOINT, {"mode": "subscription"}, lambda: {"id": f"cs_{next(made)}"})
    again = keys.run("k", ENDPOINT, {"mode": "subscription"}, lambda: {"id": f"cs_{next(made)}"})
    assert (first, again) == (({"id": "cs_1"}, False), ({"id": "cs_1"}, True))


def test_the_same_key_with_other_parameters_is_an_idempotency_error() -> None:
    keys, _, made = keys_and_calls()
    keys.run("k", ENDPOINT, {"mode": "subscription"}, lambda: {"id": f"cs_{next(made)}"})
    with pytest.raises(IdempotencyRefused) as refused:
        keys.run("k", ENDPOINT, {"mode": "subscription", "trial": "7"}, lambda: {"id": f"cs_{next(made)}"})
    assert (refused.value.status, refused.value.body["error"]["type"]) == (400, "idempotency_error")
    assert next(made) == 2  # the refused request created nothing


def test_the_same_key_on_another_endpoint_is_an_idempotency_error() -> None:
    keys, _, made = keys_and_calls()
    keys.run("k", ENDPOINT, {}, lambda: {"id": f"cs_{next(made)}"})
    with pytest.raises(IdempotencyRefused) as refused:
        keys.run("k", "POST /v1/customers", {}, lambda: {"id": f"cus_{next(made)}"})
    assert refused.value.body["error"]["type"] == "idempotency_error"


def test_a_key_is_forgotten_after_24_hours_and_then_makes_a_new_request() -> None:
    keys, clock, made = keys_and_calls()
    keys.run("k", ENDPOINT, {"a": "1"}, lambda: {"id": f"cs_{next(made)}"})
    clock.now += KEEP_S - 1
    with pytest.raises(IdempotencyRefused):
        keys.run("k", ENDPOINT, {"a": "2"}, lambda: {"id": f"cs_{next(made)}"})
    clock.now += 1
    assert keys.run("k", ENDPOINT, {"a": "2"}, lambda: {"id": f"cs_{next(made)}"}) == ({"id": "cs_2"}, False)


def test_an_answer_refused_before_the_endpoint_ran_is_not_saved() -> None:
    keys, _, made = keys_and_calls()

    def refuse() -> dict[str, str]:
        raise ValueError("no such customer")

    with pytest.raises(ValueError, match="no such customer"):
        keys.run("k", ENDPOINT, {"a": "1"}, refuse)
    assert keys.run("k", ENDPOINT, {"a": "1"}, lambda: {"id": f"cs_{next(made)}"}) == ({"id": "cs_1"}, False)


def test_a_key_over_255_characters_is_refused() -> None:
    keys, _, made = keys_and_calls()
    with pytest.raises(IdempotencyRefused) as refused:
        keys.run("k" * 256, ENDPOINT, {}, lambda: {"id": f"cs_{next(made)}"})
    assert refused.value.body["error"]["type"] == "invalid_request_error"
