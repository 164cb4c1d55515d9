"""Which paused subscriptions a card resumes, and a resume Stripe refuses because another
delivery resumed first."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import stripe

from functions.stripe_webhook import resumption
from lib import errors, stripe_api

WITH_CARD = {"id": "cus_1", "invoice_settings": {"default_payment_method": "pm_1"}}
WITHOUT_CARD = {"id": "cus_1", "invoice_settings": {"default_payment_method": None}}


def subscription(status: str = "paused", *, trial_end: int | None = 100, behaviour: str = "pause") -> dict[str, Any]:
    return {
        "id": f"sub_{status}",
        "status": status,
        "trial_end": trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": behaviour}},
    }


def test_a_default_card_resumes_a_subscription_paused_at_its_trials_end() -> None:
    assert resumption.resumable(WITH_CARD, [subscription()]) == ["sub_paused"]


def test_without_a_default_card_nothing_resumes() -> None:
    assert resumption.resumable(WITHOUT_CARD, [subscription()]) == []
    assert resumption.resumable({"id": "cus_1", "deleted": True}, [subscription()]) == []


@pytest.mark.parametrize(
    "other",
    [subscription("active"), subscription("canceled"), subscription(trial_end=None), subscription(behaviour="cancel")],
)
def test_only_a_subscription_paused_at_its_trials_end_resumes(other: dict[str, Any]) -> None:
    assert resumption.resumable(WITH_CARD, [other]) == []


class FakeSubscriptions:
    def __init__(self, status_after: str) -> None:
        self.status_after = status_after
        self.resumed: list[tuple[str, Any]] = []

    def resume(self, subscription_id: str, params: Any) -> None:
        self.resumed.append((subscription_id, params))
        raise stripe.InvalidRequestError("Only paused subscriptions can be resumed.", "id", http_status=400)

    def retrieve(self, subscription_id: str) -> SimpleNamespace:
        return SimpleNamespace(status=self.status_after)


def fake_stripe(monkeypatch: pytest.MonkeyPatch, status_after: str) -> FakeSubscriptions:
    subscriptions = FakeSubscriptions(status_after)
    client = SimpleNamespace(
        v1=SimpleNamespace(subscriptions=subscriptions),
        raw_request=lambda method, path: SimpleNamespace(data=WITH_CARD),
    )
    monkeypatch.setattr(stripe_api, "client", lambda: client)
    monkeypatch.setattr(stripe_api, "subscriptions_of", lambda customer_id: [subscription()])
    return subscriptions


def test_a_resume_refused_because_another_delivery_resumed_first_is_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    subscriptions = fake_stripe(monkeypatch, status_after="active")
    assert resumption.resume_paused_trials("cus_1") == []
    assert subscriptions.resumed == [("sub_paused", {"billing_cycle_anchor": {"type": "now"}})]


def test_a_resume_refused_while_still_paused_is_retried_later(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_stripe(monkeypatch, status_after="paused")
    with pytest.raises(errors.Unavailable):
        resumption.resume_paused_trials("cus_1")


def test_the_customer_is_not_read_when_nothing_is_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stripe_api, "subscriptions_of", lambda customer_id: [subscription("active")])
    monkeypatch.setattr(stripe_api, "client", lambda: pytest.fail("Stripe was asked"))
    assert resumption.resume_paused_trials("cus_1") == []
