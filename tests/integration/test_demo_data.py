"""`make run`'s demo data: a user who can call the API at once, and the catalogue; safe to seed twice."""

from __future__ import annotations

import pytest

from devstack.demo import seed_demo_data
from lib import firestore as db
from tests.conftest import GatewayClient

pytestmark = pytest.mark.stack


def test_seeding_twice_gives_one_working_demo_user_and_the_catalogue(gateway: GatewayClient) -> None:
    first, second = seed_demo_data(), seed_demo_data()
    assert first.uid == second.uid
    response = gateway.get("/v1/me", headers={"Authorization": f"Bearer {second.id_token}"})
    assert response.status_code == 200
    assert response.json()["email"] == "demo@example.com"
    assert db.client().collection("content").document("morning-breath").get().exists
