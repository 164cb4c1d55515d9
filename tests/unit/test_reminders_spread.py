"""The tick's spread of sends over a window: pure, so checked without a stack."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import date
from random import Random

from hypothesis import given
from hypothesis import strategies as st

from functions.reminders.batch import DueUser
from functions.reminders.kinds import Kind
from functions.reminders.tick import spread, spread_offset_s
from lib.config import Settings
from tests.support import terraform as tf

DAY = date(2026, 3, 29)
uids = st.lists(st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True), unique=True, max_size=300)


def users(names: list[str]) -> list[DueUser]:
    return [DueUser(uid=name, local_date=DAY) for name in names]


@given(uids, st.integers(min_value=0, max_value=600), st.integers(min_value=1, max_value=500))
def test_every_user_is_in_one_batch_at_their_own_second(names: list[str], window_s: int, size: int) -> None:
    batches = spread(users(names), window_s, size)
    placed = Counter(u.uid for _, batch in batches for u in batch)
    assert placed == Counter(names)
    for second, batch in batches:
        assert 0 < len(batch) <= size
        assert 0 <= second < max(window_s, 1)
        assert {spread_offset_s(u, window_s) for u in batch} == {second}


@given(uids, uids)
def test_a_users_second_does_not_depend_on_who_else_is_due(names: list[str], others: list[str]) -> None:
    alone = {u.uid: second for second, batch in spread(users(names), 60, 500) for u in batch}
    crowded = {u.uid: second for second, batch in spread(users(names + others), 60, 500) for u in batch}
    assert all(crowded[uid] == second for uid, second in alone.items())


def test_a_crowded_minute_is_spread_over_the_window() -> None:
    batches = spread(users([f"user-{n}" for n in range(6000)]), 60, 500)
    per_second: Counter[int] = Counter()
    for second, batch in batches:
        per_second[second] += len(batch)
    assert set(per_second) == set(range(60))
    assert max(per_second.values()) < 2 * 6000 / 60


def test_no_window_sends_everyone_at_once_in_full_batches() -> None:
    batches = spread(users([f"user-{n}" for n in range(1200)]), 0, 500)
    assert [(second, len(batch)) for second, batch in batches] == [(0, 500), (0, 500), (0, 200)]


@given(uids, st.integers(min_value=0, max_value=120), st.integers(min_value=3, max_value=50), st.randoms())
def test_a_user_days_kinds_share_one_batch_so_the_cap_sees_them_together(
    names: list[str], window_s: int, size: int, rng: Random
) -> None:
    due = [DueUser(uid=name, local_date=DAY, kind=kind) for name in names for kind in Kind]
    rng.shuffle(due)
    batches = spread(due, window_s, size)
    batch_of = {(u.uid, u.kind): index for index, (_, batch) in enumerate(batches) for u in batch}
    assert len(batch_of) == len(due)
    assert all(len({batch_of[(name, kind)] for kind in Kind}) == 1 for name in names)
    assert all(0 < len(batch) <= size for _, batch in batches)


@functools.cache
def deployed_spread_s() -> int:
    """REMINDERS_SPREAD_S as Terraform sets it for every deployed function (terraform/routes.tf)."""
    values = tf.locals_as_parsed()["setting_values"]
    return int(values["REMINDERS_SPREAD_S"])


@given(st.sets(st.uuids().map(str), min_size=20, max_size=40))
def test_deployments_spread_a_ticks_sends_over_a_minute(names: set[str]) -> None:
    """The test stack spreads over a few seconds (devstack/ports.py); deployments over a minute."""
    window_s = deployed_spread_s()
    assert window_s == Settings.model_fields["reminders_spread_s"].default == 60
    seconds = {spread_offset_s(user, window_s) for user in users(sorted(names))}
    assert seconds <= set(range(60))
    assert len(seconds) > 1
