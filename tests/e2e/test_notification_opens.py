"""POST /v1/notifications/{message_id}/opened through the gateway, for a message the pipeline sent."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import requests

from functions.reminders.kinds import Kind
from functions.reminders.preferences import schedule_fields
from lib import firestore as db
from ops.daily_stats import read_days
from tests.conftest import AppUser, GatewayClient, MakeUser
from tests.support import reminders as reminders_support
from tests.support.reminders import Fcm, tick
from tests.support.waiting import wait_for

fcm = reminders_support.fcm


def reminded(gateway: GatewayClient, fcm: Fcm, user: AppUser) -> dict[str, Any]:
    """The user's daily reminder, made due now and sent through tick, queue and local FCM."""
    installation = f"fid-open-{user.uid[:12]}"
    device = {"platform": "android"}
    assert gateway.put(f"/v1/devices/{installation}", json=device, headers=user.headers).status_code == 200
    reminder = {"enabled": True, "local_time": "08:00", "timezone": "UTC", "quiet_start": "00:00", "quiet_end": "00:00"}
    assert gateway.put("/v1/reminder", json=reminder, headers=user.headers).status_code == 200
    now = datetime.now(UTC)
    db.client().collection("users").document(user.uid).update(schedule_fields({Kind.DAILY_REMINDER: now}))
    tick(gateway, now)

    def sent() -> list[dict[str, Any]]:
        return [m for m in fcm.messages() if m["token"] == installation]

    wait_for(lambda: len(sent()) == 1, "the reminder at the local FCM", 120)
    return sent()[0]


def opened(variant: str) -> int:
    """Today's opens of the daily reminder's `variant`, as the operator's stats read them."""
    return read_days([datetime.now(UTC).date()])[0].variants["daily_reminder"][variant].opened


def test_an_open_counts_once_for_its_kind_and_variant_and_only_for_its_owner(
    gateway: GatewayClient, fcm: Fcm, make_user: MakeUser
) -> None:
    owner, other = make_user(), make_user()
    message = reminded(gateway, fcm, owner)
    message_id, variant = message["data"]["message_id"], message["data"]["variant"]
    day = datetime.now(UTC).date().isoformat()
    opened_before = opened(variant)

    refused = gateway.post(f"/v1/notifications/{message_id}/opened", headers=other.headers)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not-found"

    first = gateway.post(f"/v1/notifications/{message_id}/opened", headers=owner.headers)
    assert first.status_code == 200, first.text
    assert first.json() | {"opened_at": None} == {
        "message_id": message_id,
        "kind": "daily_reminder",
        "variant": variant,
        "local_date": day,
        "opened_at": None,
        "first_open": True,
    }
    again = gateway.post(f"/v1/notifications/{message_id}/opened", headers=owner.headers)
    assert again.status_code == 200
    assert again.json() == first.json() | {"first_open": False}
    assert opened(variant) == opened_before + 1


def test_an_open_reported_many_times_at_once_counts_once(gateway: GatewayClient, fcm: Fcm, user: AppUser) -> None:
    message = reminded(gateway, fcm, user)
    message_id, variant = message["data"]["message_id"], message["data"]["variant"]
    opened_before = opened(variant)
    start = threading.Barrier(8)

    def report(_: int) -> requests.Response:
        start.wait()
        return gateway.post(f"/v1/notifications/{message_id}/opened", headers=user.headers)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(report, range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert sorted(a.json()["first_open"] for a in answers) == [False] * 7 + [True]
    assert len({a.json()["opened_at"] for a in answers}) == 1
    assert opened(variant) == opened_before + 1


def test_an_unknown_or_malformed_message_id_is_not_found(gateway: GatewayClient, user: AppUser) -> None:
    for message_id in ("0" * 32, "not-an-id", "A" * 32):
        response = gateway.post(f"/v1/notifications/{message_id}/opened", headers=user.headers)
        assert response.status_code == 404, message_id
        assert response.json()["error"]["code"] == "not-found"
