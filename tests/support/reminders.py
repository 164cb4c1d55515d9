"""Helpers for reminder tests: the local FCM's control endpoints, due users seeded straight
into Firestore, ticks through the gateway, and waiting for the queue to drain."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from devstack.units import unit_url
from functions.reminders import counters as counters_module
from functions.reminders import preferences
from functions.reminders.batch import DueUser
from functions.reminders.kinds import SCHEDULED, Kind
from functions.reminders.send_records import record_id
from lib import firestore as db
from lib.config import settings
from tests.conftest import GatewayClient
from tests.support.days import unique_day
from tests.support.waiting import wait_for


class Fcm:
    """The local FCM server's /_local/ endpoints (docs/local-stack.md)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def faults(self, **faults: Any) -> None:
        requests.put(f"{self.base_url}/_local/faults", json=faults, timeout=10).raise_for_status()

    def reset(self) -> None:
        requests.delete(f"{self.base_url}/_local/faults", timeout=10).raise_for_status()
        requests.delete(f"{self.base_url}/_local/messages", timeout=10).raise_for_status()

    def messages(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.base_url}/_local/messages", timeout=30)
        response.raise_for_status()
        return list(response.json()["messages"])

    def count_by_address(self, addresses: set[str]) -> Counter[str]:
        return Counter(m["token"] for m in self.messages() if m["token"] in addresses)


@pytest.fixture
def fcm(stack: object) -> Iterator[Fcm]:
    client = Fcm(settings().fcm_endpoint)
    client.reset()
    yield client
    client.reset()


@dataclass
class SeededUser:
    uid: str
    addresses: list[str]
    legacy: bool = False
    dead: bool = False


@dataclass
class World:
    """Users due at `due_at` (UTC) on `day`, each with devices; removed again at teardown."""

    day: date
    users: list[SeededUser] = field(default_factory=list)

    @property
    def due_at(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, 18, 0, tzinfo=UTC)

    @property
    def tick_at(self) -> datetime:
        return self.due_at + timedelta(minutes=1)

    def add(
        self,
        count: int,
        *,
        devices_each: int = 1,
        legacy: bool = False,
        checked_in: bool = False,
        enabled: bool = True,
        due_at: datetime | None = None,
        scheduled_from: datetime | None = None,
        quiet: tuple[str, str] = ("22:00", "07:00"),
    ) -> list[SeededUser]:
        """Users whose daily reminder (only) is due at `due_at`; or, with `scheduled_from`, users
        whose every kind is scheduled by the reminders' own rules as PUT /v1/reminder at that
        instant would, with `quiet` hours."""
        batch = db.client().batch()
        made = []
        for i in range(count):
            uid = f"rem-{uuid.uuid4().hex[:20]}"
            user_ref = db.client().collection("users").document(uid)
            streak = {"current": 3, "longest": 5, "last_day": (self.day - timedelta(days=1)).isoformat()}
            if checked_in:
                streak["last_day"] = self.day.isoformat()
            reminder: dict[str, Any] = {"enabled": enabled, "local_time": "18:00", "timezone": "UTC"}
            schedule: dict[str, Any] = {"next_at": due_at or self.due_at}
            if scheduled_from:
                reminder |= {"quiet_start": quiet[0], "quiet_end": quiet[1]}
                fired = {kind: preferences.next_firing(reminder, kind, scheduled_from) for kind in SCHEDULED}
                schedule = preferences.schedule_fields(fired)
            batch.set(user_ref, {"uid": uid, "timezone": "UTC", "reminder": reminder, **schedule, "streak": streak})
            addresses = []
            mirror = {}
            for d in range(devices_each):
                fid = f"fid{uuid.uuid4().hex[:19]}"
                token = f"legacy-{uuid.uuid4().hex}" if legacy else None
                batch.set(
                    user_ref.collection("devices").document(fid),
                    {
                        "uid": uid,
                        "installation_id": fid,
                        "platform": "android" if d % 2 else "ios",
                        "token": token,
                        "app_version": "1.0",
                        "updated_at": datetime.now(UTC),
                    },
                )
                addresses.append(token or fid)
                mirror[fid] = {"token": token}
            batch.set(user_ref, {"devices": mirror}, merge=True)
            made.append(SeededUser(uid, addresses, legacy=legacy))
            if (i + 1) % 200 == 0:
                batch.commit()
                batch = db.client().batch()
        batch.commit()
        self.users.extend(made)
        return made

    def remove(self) -> None:
        for start in range(0, len(self.users), 400):
            batch = db.client().batch()
            for user in self.users[start : start + 400]:
                batch.delete(db.client().collection("users").document(user.uid))
            batch.commit()


@pytest.fixture
def world(stack: object) -> Iterator[World]:
    made = World(unique_day())
    yield made
    made.remove()


def tick(gateway: GatewayClient, now: datetime) -> dict[str, Any]:
    """The scheduler's tick, sent to the tick function's own process as Cloud Scheduler sends it."""
    url = f"{unit_url(settings(), 'reminders-tick')}/internal/reminders/tick"
    response = gateway.session.post(url, json={"now": now.isoformat()}, timeout=120)
    assert response.status_code == 200, response.text
    return dict(response.json())


def counters(day: date) -> dict[str, int]:
    data = db.client().collection("ops_daily").document(day.isoformat()).get().to_dict() or {}
    return {k: v for k, v in data.items() if isinstance(v, int)}


FINAL = counters_module.OUTCOMES


def settled(day: date) -> int:
    found = counters(day)
    return sum(found.get(name, 0) for name in FINAL)


def wait_until_settled(day: date, expected_due: int, timeout_s: float = 120.0) -> dict[str, int]:
    """At least `expected_due` users of `day` are due, and every one has a final outcome."""

    def done() -> bool:
        found = counters(day)
        return found.get("due", 0) >= expected_due and settled(day) == found.get("due", 0)

    wait_for(done, f"{expected_due} settled reminders", timeout_s, interval_s=0.25)
    return counters(day)


def send_record(uid: str, day: date, kind: Kind = Kind.DAILY_REMINDER) -> dict[str, Any] | None:
    key = record_id(DueUser(uid=uid, local_date=day, kind=kind))
    return db.client().collection("reminder_sends").document(key).get().to_dict()


def device_count(uid: str) -> int:
    return len(list(db.client().collection("users").document(uid).collection("devices").stream()))
