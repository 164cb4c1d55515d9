"""The daily cap as a property: whatever the claims and the pushes already made, no user-day
ends above the cap, and a claim is refused only when its user-day is full."""

from __future__ import annotations

from collections import Counter
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from functions.reminders.batch import DueUser
from functions.reminders.delivery import over_cap
from functions.reminders.kinds import Kind

DAYS = st.sampled_from([date(2026, 3, 28), date(2026, 3, 29)])
UIDS = st.sampled_from(["a", "b", "c"])
claims = st.lists(st.builds(DueUser, uid=UIDS, local_date=DAYS, kind=st.sampled_from(Kind)), max_size=12)
before = st.dictionaries(st.tuples(UIDS, DAYS), st.integers(0, 3))


@given(claims, before, st.integers(1, 3))
def test_no_user_day_ends_above_the_cap_and_only_full_days_refuse(
    claimed: list[DueUser], pushes_before: dict[tuple[str, date], int], cap: int
) -> None:
    over = over_cap(claimed, pushes_before, cap)
    kept = Counter((u.uid, u.local_date) for i, u in enumerate(claimed) if i not in over)
    notices = Counter((u.uid, u.local_date) for u in claimed if u.kind.is_notice)
    for day in {(u.uid, u.local_date) for u in claimed}:
        total = pushes_before.get(day, 0) + kept[day]
        # Only account notices may take a day past the cap, each of them once.
        assert total <= max(cap, pushes_before.get(day, 0)) + notices[day]
        refused = sum(1 for i in over if (claimed[i].uid, claimed[i].local_date) == day)
        # A claim is refused only when its day is full: what is kept fills the cap exactly.
        assert refused == 0 or total >= max(cap, pushes_before.get(day, 0))


@given(claims, before, st.integers(1, 3))
def test_an_account_notice_is_never_refused(
    claimed: list[DueUser], pushes_before: dict[tuple[str, date], int], cap: int
) -> None:
    assert not any(claimed[i].kind.is_notice for i in over_cap(claimed, pushes_before, cap))
