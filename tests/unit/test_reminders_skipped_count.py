"""A send batch's request line carries how many of its users were skipped, for the dashboard."""

from __future__ import annotations

from collections import Counter

from functions.reminders.delivery import skipped
from functions.reminders.send_records import SendStatus


def test_every_skipped_status_counts_and_nothing_else_does() -> None:
    counts = Counter({SendStatus.SKIPPED_DONE.value: 2, SendStatus.SKIPPED_OFF.value: 1, "sent": 5, "failed": 1})
    assert skipped(counts) == 3


def test_a_batch_that_skipped_nobody_says_zero() -> None:
    assert skipped(Counter(sent=4)) == 0
