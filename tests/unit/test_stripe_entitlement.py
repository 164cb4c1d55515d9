"""functions/stripe_webhook/entitlement: the state table of docs/payments.md, one test per row,
and how several subscriptions of one user combine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.stripe_webhook.entitlement import State, blocks_checkout, entitlement_from, period_end, trial_used
from lib.entitlements import billing_claim, plan_from

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
T = int(NOW.timestamp())
DAY = 24 * 3600
GRACE = timedelta(days=7)


def sub(sub_id: str = "s", status: str = "active", created: int = T - 10 * DAY, **fields: Any) -> dict[str, Any]:
    """A subscription whose current period started 3 days ago and ends in 27."""
    start, end = fields.pop("start", T - 3 * DAY), fields.pop("end", T + 27 * DAY)
    return {
        "id": sub_id,
        "customer": "cus_1",
        "status": status,
        "created": created,
        "cancel_at_period_end": False,
        "cancel_at": None,
        "trial_start": None,
        "trial_end": None,
        "items": {"data": [{"current_period_start": start, "current_period_end": end}]},
        **fields,
    }


def charge(created: int, **fields: Any) -> dict[str, Any]:
    return {"id": "ch", "customer": "cus_1", "created": created, "refunded": False, "disputed": False, **fields}


def dispute(status: str, charge_id: str = "ch") -> dict[str, Any]:
    return {"id": "dp", "object": "dispute", "charge": charge_id, "status": status}


def judge(
    *subscriptions: dict[str, Any],
    charges: tuple[dict[str, Any], ...] = (),
    disputes: tuple[dict[str, Any], ...] = (),
    now: datetime = NOW,
) -> Any:
    return entitlement_from("cus_1", subscriptions, "premium", charges=charges, disputes=disputes, now=now, grace=GRACE)


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# One test per row of the state table.


def test_trialing_grants_access_until_the_trial_ends() -> None:
    got = judge(sub(status="trialing", trial_start=T - DAY, trial_end=T + 6 * DAY))
    assert (got.plan, got.state, got.access_until, got.trial_end) == (
        "premium",
        State.TRIALING,
        at(T + 6 * DAY),
        at(T + 6 * DAY),
    )


def test_a_trial_with_a_card_keeps_access_past_its_end_until_the_conversion_is_reported() -> None:
    """Stripe charges a converting trial's first invoice after trial_end; until the event that
    turns it active arrives, the user keeps Premium, within the grace a failed renewal gets."""
    trial = sub(status="trialing", trial_start=T - 7 * DAY, trial_end=T - 1800, default_payment_method="pm_1")
    got = judge(trial)
    assert (got.plan, got.state, got.access_until) == ("premium", State.TRIALING, at(T - 1800) + GRACE)
    assert plan_from(got.model_dump(), now=NOW) == "premium"
    # A trial set to cancel, or one without a card, does not convert: access ends with the trial.
    for ending in (trial | {"cancel_at_period_end": True}, trial | {"default_payment_method": None}):
        assert plan_from(judge(ending).model_dump(), now=NOW) == "free"


def test_active_grants_access_with_no_end_foreseen() -> None:
    got = judge(sub())
    assert (got.plan, got.state, got.access_until, got.current_period_end, got.cancel_at_period_end) == (
        "premium",
        State.ACTIVE,
        None,
        at(T + 27 * DAY),
        False,
    )
    assert plan_from(got.model_dump(), now=at(T + 28 * DAY)) == "premium"  # a late renewal event


def test_active_cancelling_at_period_end_grants_access_until_the_period_ends() -> None:
    got = judge(sub(cancel_at_period_end=True, cancel_at=T + 27 * DAY))
    assert (got.plan, got.state, got.access_until, got.cancel_at_period_end) == (
        "premium",
        State.CANCELING,
        at(T + 27 * DAY),
        True,
    )
    assert plan_from(got.model_dump(), now=at(T + 27 * DAY)) == "free"


def test_past_due_grants_access_during_the_grace_period_and_shows_its_end() -> None:
    got = judge(sub(status="past_due", start=T - 2 * DAY))
    assert (got.plan, got.state, got.grace_until, got.access_until) == (
        "premium",
        State.PAST_DUE,
        at(T + 5 * DAY),
        at(T + 5 * DAY),
    )
    assert plan_from(got.model_dump(), now=at(T + 5 * DAY)) == "free"


def test_past_due_grants_nothing_after_the_grace_period() -> None:
    got = judge(sub(status="past_due", start=T - 8 * DAY))
    assert (got.plan, got.state, got.grace_until, got.access_until) == (
        "free",
        State.GRACE_OVER,
        at(T - DAY),
        None,
    )


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("unpaid", State.UNPAID),
        ("canceled", State.CANCELED),
        ("incomplete", State.INCOMPLETE),
        ("incomplete_expired", State.INCOMPLETE_EXPIRED),
    ],
)
def test_ended_or_unpaid_statuses_grant_nothing(status: str, state: State) -> None:
    got = judge(sub(status=status))
    assert (got.plan, got.state, got.access_until) == ("free", state, None)
    assert plan_from(got.model_dump()) == "free"


def test_paused_grants_nothing() -> None:
    got = judge(sub(status="paused"))
    assert (got.plan, got.state) == ("free", State.PAUSED)


def test_a_fully_refunded_payment_of_the_current_period_ends_access() -> None:
    got = judge(sub(), charges=(charge(T - 3 * DAY, refunded=True),))
    assert (got.plan, got.state, got.access_until) == ("free", State.REFUNDED, None)


def test_a_dispute_of_the_current_period_payment_ends_access() -> None:
    got = judge(sub(), charges=(charge(T - 3 * DAY, disputed=True),))
    assert (got.plan, got.state) == ("free", State.DISPUTED)


@pytest.mark.parametrize("status", ["needs_response", "under_review", "warning_needs_response", "lost"])
def test_an_open_or_lost_dispute_keeps_access_ended(status: str) -> None:
    got = judge(sub(), charges=(charge(T - 3 * DAY, disputed=True),), disputes=(dispute(status),))
    assert (got.plan, got.state) == ("free", State.DISPUTED)


@pytest.mark.parametrize("status", ["won", "warning_closed"])
def test_a_dispute_won_or_an_inquiry_closed_gives_access_back(status: str) -> None:
    # Stripe leaves `disputed: true` on the charge after the dispute closes.
    got = judge(sub(), charges=(charge(T - 3 * DAY, disputed=True),), disputes=(dispute(status),))
    assert (got.plan, got.state) == ("premium", State.ACTIVE)


def test_a_dispute_won_on_another_charge_leaves_this_one_disputed() -> None:
    got = judge(sub(), charges=(charge(T - 3 * DAY, disputed=True),), disputes=(dispute("won", "ch_other"),))
    assert (got.plan, got.state) == ("free", State.DISPUTED)


def test_no_subscription_grants_nothing() -> None:
    got = judge()
    assert (got.plan, got.state, got.status, got.subscription_id) == ("free", State.NONE, "none", None)


# Around the rows.


def test_a_refund_from_an_earlier_period_leaves_access() -> None:
    got = judge(sub(), charges=(charge(T - 40 * DAY, refunded=True),))
    assert (got.plan, got.state) == ("premium", State.ACTIVE)


def test_a_partial_refund_leaves_access() -> None:
    got = judge(sub(), charges=(charge(T - 3 * DAY, amount_refunded=100),))
    assert got.plan == "premium"


def test_an_old_cancelled_subscription_never_takes_access_from_a_newer_active_one() -> None:
    got = judge(sub("new", created=T - DAY), sub("old", status="canceled", created=T - 100 * DAY))
    assert (got.plan, got.subscription_id) == ("premium", "new")


def test_an_active_subscription_beats_a_newer_inactive_duplicate() -> None:
    got = judge(sub("paid", created=T - 50 * DAY), sub("dup", status="incomplete", created=T - DAY))
    assert (got.plan, got.subscription_id, got.live_subscriptions) == ("premium", "paid", 2)


def test_two_live_subscriptions_grant_once_and_are_counted() -> None:
    got = judge(sub("a", created=T - 50 * DAY), sub("b", created=T - DAY, end=T + 29 * DAY))
    assert (got.plan, got.live_subscriptions, got.subscription_id) == ("premium", 2, "b")


def test_newest_subscription_wins_between_equal_states() -> None:
    got = judge(sub("a", "canceled", 100), sub("b", "canceled", 300), sub("c", "canceled", 200))
    assert got.subscription_id == "b"


def test_period_end_is_the_latest_item_period_end() -> None:
    subscription = sub()
    subscription["items"]["data"].append({"current_period_start": T, "current_period_end": T + 40 * DAY})
    assert period_end(subscription) == at(T + 40 * DAY)


def test_period_end_is_none_without_items() -> None:
    assert period_end({"id": "s", "status": "active"}) is None


def test_a_trial_is_used_by_any_subscription_that_had_one() -> None:
    assert not trial_used([sub()])
    assert trial_used([sub(status="canceled", trial_start=T - 90 * DAY)])


@pytest.mark.parametrize("status", ["trialing", "active", "past_due", "unpaid", "incomplete", "paused"])
def test_a_subscription_that_may_still_bill_blocks_checkout(status: str) -> None:
    assert blocks_checkout([sub(status=status)])


@pytest.mark.parametrize("status", ["canceled", "incomplete_expired"])
def test_an_ended_subscription_does_not_block_checkout(status: str) -> None:
    assert not blocks_checkout([sub(status=status)])


def test_the_billing_claim_carries_state_and_times_in_epoch_seconds() -> None:
    got = judge(sub(status="past_due", start=T - 2 * DAY)).model_dump()
    got["state"] = got["state"].value
    assert billing_claim(got) == {
        "state": "past_due",
        "source": "stripe",
        "access_until": T + 5 * DAY,
        "grace_until": T + 5 * DAY,
        "trial_end": None,
        "cancel_at_period_end": False,
    }


def test_a_legacy_document_without_access_until_follows_its_status() -> None:
    assert plan_from({"plan": "premium", "status": "active"}) == "premium"
    assert plan_from({"plan": "premium", "status": "canceled"}) == "free"
