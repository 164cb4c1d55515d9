"""The streak view's marks of the last days, kept in the user's streak summary (`streak.recent`),
so the view reads one document instead of one per check-in and freeze.

The check-in and the freezes write the copy in the same conditional commit as the check-in and
frozen-day documents it copies (functions/streaks/commits.py). The view trusts it only while it
names the summary it sits in: a summary written without it (an older version of this code, or a
streak written straight into the database) sends the view back to the documents, and the next
commit rebuilds the copy from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from google.cloud import firestore

from functions.streaks import streak
from lib import firestore as db
from lib import queries

IAM_PERMISSIONS = db.READS

FIELD = "recent"  # in the `streak` map of users/{uid}
# Kept two days longer than the view shows: a change of zone (UTC+14 to UTC-12 at most) moves the
# local day back by up to two.
KEEP_DAYS = streak.RECENT_DAYS + 2
# The summary's fields the copy names; any change to them goes with a rewrite of the copy.
_STAMP = ("current", "last_day", "freezes")

# A user's check-ins between two local dates (ISO text sorts as the dates do).
CHECKINS_BETWEEN = queries.QueryShape("checkins", filters=(("local_date", ">="), ("local_date", "<=")))


@dataclass(frozen=True)
class Marks:
    done: frozenset[date] = frozenset()
    frozen: frozenset[date] = frozenset()

    def between(self, first: date, last: date) -> tuple[set[date], set[date]]:
        return {d for d in self.done if first <= d <= last}, {d for d in self.frozen if first <= d <= last}

    def with_days(self, done: Iterable[date], frozen: Iterable[date], today: date) -> Marks:
        """These marks with `done` and `frozen` written over them, as the documents would be, and
        those before the days kept dropped."""
        done, frozen = set(done), set(frozen)
        first = today - timedelta(days=KEEP_DAYS - 1)
        return Marks(
            frozenset(d for d in (self.done - frozen) | done if d >= first),
            frozenset(d for d in (self.frozen - done) | frozen if d >= first),
        )

    def as_field(self, summary: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "of": {key: summary.get(key) for key in _STAMP},
            "done": sorted(d.isoformat() for d in self.done),
            "frozen": sorted(d.isoformat() for d in self.frozen),
        }


def stored(user: Mapping[str, Any]) -> Marks | None:
    """The copy in the user's summary, if it goes with that summary."""
    summary = user.get("streak")
    copy = summary.get(FIELD) if isinstance(summary, dict) else None
    if not isinstance(copy, dict) or not isinstance(summary, dict):
        return None
    if copy.get("of") != {key: summary.get(key) for key in _STAMP}:
        return None
    return Marks(
        frozenset(date.fromisoformat(d) for d in copy.get("done", [])),
        frozenset(date.fromisoformat(d) for d in copy.get("frozen", [])),
    )


def from_documents(ref: firestore.DocumentReference, first: date, last: date) -> Marks:
    """The dates checked in and the dates frozen between `first` and `last`, from their documents."""
    done: set[date] = set()
    frozen: set[date] = set()
    for snapshot in queries.stream(CHECKINS_BETWEEN, ref, first.isoformat(), last.isoformat()):
        data = snapshot.to_dict() or {}
        (frozen if data.get("frozen") is True else done).add(date.fromisoformat(data["local_date"]))
    return Marks(frozenset(done), frozenset(frozen))


def between(
    ref: firestore.DocumentReference, user: Mapping[str, Any], first: date, last: date
) -> tuple[set[date], set[date]]:
    """The dates checked in and the dates frozen between `first` and `last`: from the copy when it
    holds, else from the documents."""
    marks = stored(user)
    return (marks if marks is not None else from_documents(ref, first, last)).between(first, last)


def with_copy(
    ref: firestore.DocumentReference,
    user: Mapping[str, Any],
    today: date,
    summary: Mapping[str, Any],
    done: Iterable[date] = (),
    frozen: Iterable[date] = (),
) -> dict[str, Any]:
    """The `streak` field to commit with the `done` and `frozen` days' documents: `summary` with
    the copy of its marks."""
    marks = stored(user)
    if marks is None:
        # Up to two days ahead too: a zone that ran ahead of today's may have written them.
        marks = from_documents(ref, today - timedelta(days=KEEP_DAYS - 1), today + timedelta(days=2))
    return {**summary, FIELD: marks.with_days(done, frozen, today).as_field(summary)}
