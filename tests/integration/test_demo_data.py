"""`make run`'s demo data: a user who can call the API at once, and the catalogue; safe to seed twice."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from devstack.demo import seed_demo_data
from devstack.units import unit_url
from lib import firestore as db
from lib.config import settings
from tests.conftest import GatewayClient


def test_seeding_twice_gives_one_working_demo_user_and_the_catalogue(gateway: GatewayClient) -> None:
    first, second = seed_demo_data(), seed_demo_data()
    assert first.uid == second.uid
    response = gateway.get("/v1/me", headers={"Authorization": f"Bearer {second.id_token}"})
    assert response.status_code == 200
    assert response.json()["email"] == "demo@example.com"
    assert db.client().collection("content").document("morning-breath").get().exists


def test_demo_user_has_a_due_reminder_and_a_device() -> None:
    demo = seed_demo_data()
    user = db.client().collection("users").document(demo.uid).get().to_dict() or {}
    assert user["reminder"]["enabled"] is True
    assert user["next_at"] <= datetime.now(UTC)
    assert "demo-installation-id" in user["devices"]


def test_first_tick_sends_the_demo_user_one_notification_and_counts_it(gateway: GatewayClient) -> None:
    demo = seed_demo_data()
    fcm = settings().fcm_endpoint
    tick = f"{unit_url(settings(), 'reminders-tick')}/internal/reminders/tick"
    assert requests.post(tick, timeout=120).status_code == 200

    def received() -> list[object]:
        answer = requests.get(f"{fcm}/_local/messages", params={"token": "demo-installation-id"}, timeout=10)
        return list(answer.json()["messages"])

    deadline = time.monotonic() + 120  # the tick spreads sends over a minute
    while not received() and time.monotonic() < deadline:
        time.sleep(0.25)
    assert len(received()) == 1
    record = db.client().collection("reminder_sends").where(filter=FieldFilter("uid", "==", demo.uid)).get()
    assert [r.to_dict()["status"] for r in record] == ["sent"]
    day = datetime.now(UTC).date().isoformat()
    assert (db.client().collection("ops_daily").document(day).get().to_dict() or {})["sent"] >= 1
