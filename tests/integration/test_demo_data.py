"""`make run`'s demo data: a user who can call the API at once, and the catalogue; safe to seed twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import requests
from google.cloud.firestore_v1.base_query import FieldFilter
from typer.testing import CliRunner

from devstack.demo import DEMO_INSTALLATION_ID, seed_demo_data
from devstack.units import unit_url
from lib import firestore as db
from lib.config import settings
from ops.main import app
from tests.conftest import GatewayClient
from tests.support import ops as ops_support
from tests.support.waiting import wait_for

backend_logger_restored = ops_support.backend_logger_restored


def test_seeding_twice_gives_one_working_demo_user_and_the_catalogue(gateway: GatewayClient) -> None:
    first, second = seed_demo_data(), seed_demo_data()
    assert first.uid == second.uid
    response = gateway.get("/v1/me", headers={"Authorization": f"Bearer {second.id_token}"})
    assert response.status_code == 200
    assert response.json()["email"] == "demo@example.com"
    assert db.client().collection("content").document("morning-breath").get().exists


def test_demo_user_has_a_due_reminder_a_later_nudge_a_streak_and_a_device() -> None:
    demo = seed_demo_data()
    user = db.client().collection("users").document(demo.uid).get().to_dict() or {}
    assert user["reminder"]["enabled"] is True
    assert user["next_at"] <= datetime.now(UTC) < user["next_by_kind"]["streak_at_risk"]
    assert user["streak"]["current"] == 3
    assert "demo-installation-id" in user["devices"]


def demo_messages() -> list[dict[str, Any]]:
    answer = requests.get(
        f"{settings().fcm_endpoint}/_local/messages", params={"token": DEMO_INSTALLATION_ID}, timeout=10
    )
    return list(answer.json()["messages"])


def tick_and_wait(count: int) -> list[dict[str, Any]]:
    tick = f"{unit_url(settings(), 'reminders-tick')}/internal/reminders/tick"
    assert requests.post(tick, timeout=120).status_code == 200
    wait_for(lambda: len(demo_messages()) >= count, f"{count} demo messages", 120)  # a tick spreads its sends
    return demo_messages()


def test_the_demo_user_gets_a_daily_reminder_then_a_nudge_counted_per_kind_and_variant(gateway: GatewayClient) -> None:
    demo = seed_demo_data()
    [daily] = tick_and_wait(1)
    assert daily["data"]["kind"] == "daily_reminder"
    # The evening comes: the nudge's firing is moved to now instead of waiting for it.
    db.client().collection("users").document(demo.uid).update(
        {"next_at": datetime.now(UTC), "next_by_kind.streak_at_risk": datetime.now(UTC)}
    )
    messages = tick_and_wait(2)
    assert [m["data"]["kind"] for m in messages] == ["daily_reminder", "streak_at_risk"]
    assert "3-day streak" in messages[1]["notification"]["title"] + messages[1]["notification"]["body"]

    def records() -> list[tuple[str, str]]:
        found = db.client().collection("reminder_sends").where(filter=FieldFilter("uid", "==", demo.uid)).get()
        return sorted((r.to_dict()["kind"], r.to_dict()["status"]) for r in found)

    # FCM answers before the record is settled; the counters are committed with it.
    wait_for(lambda: records() == [("daily_reminder", "sent"), ("streak_at_risk", "sent")], "both settled", 60)
    result = CliRunner().invoke(app, ["stats", "--days", "1", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [today] = json.loads(result.stdout)
    for message in messages:
        kind, variant = message["data"]["kind"], message["data"]["variant"]
        assert today["kinds"][kind]["sent"] >= 1
        assert today["variants"][kind][variant]["sent"] >= 1
