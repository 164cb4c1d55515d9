"""The app's account lifecycle through the gateway: create → read → patch → delete."""

from __future__ import annotations

import pytest
from firebase_admin import auth as fb_auth

from lib import firebase
from lib import firestore as db
from tests.conftest import AppUser, GatewayClient


def test_first_request_creates_the_profile(gateway: GatewayClient, user: AppUser) -> None:
    response = gateway.get("/v1/me", headers=user.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["uid"], body["email"], body["timezone"], body["plan"]) == (user.uid, user.email, "UTC", "free")
    assert body["streak"] == {"current": 0, "longest": 0, "last_day": None, "freezes": 0}
    assert (body["day_start"], body["next_timezone_change_at"]) == ("00:00", None)
    assert db.client().collection("users").document(user.uid).get().exists


def test_patch_changes_name_and_timezone(gateway: GatewayClient, user: AppUser) -> None:
    response = gateway.patch("/v1/me", headers=user.headers, json={"display_name": "Ana", "timezone": "Asia/Kolkata"})
    assert response.status_code == 200, response.text
    assert (response.json()["display_name"], response.json()["timezone"]) == ("Ana", "Asia/Kolkata")
    assert gateway.get("/v1/me", headers=user.headers).json()["timezone"] == "Asia/Kolkata"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"timezone": "Mars/Olympus"}, "timezone"), ({"display_name": ""}, "display_name"), ({"plan": "premium"}, "plan")],
)
def test_a_bad_patch_is_400_and_changes_nothing(
    gateway: GatewayClient, user: AppUser, body: object, field: str
) -> None:
    response = gateway.patch("/v1/me", headers=user.headers, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid-argument"
    assert field in response.json()["error"]["message"]
    assert gateway.get("/v1/me", headers=user.headers).json()["timezone"] == "UTC"


def test_plan_comes_from_an_active_entitlement(gateway: GatewayClient, user: AppUser) -> None:
    db.client().collection("entitlements").document(user.uid).set({"plan": "premium", "status": "active"})
    assert gateway.get("/v1/me", headers=user.headers).json()["plan"] == "premium"
    db.client().collection("entitlements").document(user.uid).set({"plan": "premium", "status": "canceled"})
    assert gateway.get("/v1/me", headers=user.headers).json()["plan"] == "free"


def test_delete_removes_every_document_then_the_auth_user(gateway: GatewayClient, user: AppUser) -> None:
    client = db.client()
    gateway.get("/v1/me", headers=user.headers)
    user_doc = client.collection("users").document(user.uid)
    fid = f"fid-{user.uid}"
    assert gateway.put(f"/v1/devices/{fid}", json={"platform": "ios"}, headers=user.headers).status_code == 200
    for day in range(450):  # more than one delete batch
        user_doc.collection("checkins").document(f"2025-01-{day:03d}").set({"n": day})
    client.collection("reminder_sends").document(f"{user.uid}_2025-01-01").set({"uid": user.uid, "status": "sent"})
    other = client.collection("reminder_sends").document("someone-else_2025-01-01")
    other.set({"uid": "someone-else", "status": "sent"})

    response = gateway.delete("/v1/me", headers=user.headers)

    assert response.status_code == 200, response.text
    assert response.json()["documents_deleted"] >= 453
    assert not user_doc.get().exists
    assert list(user_doc.collection("checkins").list_documents()) == []
    assert list(user_doc.collection("devices").list_documents()) == []
    assert not client.collection("device_owners").document(fid).get().exists
    assert not client.collection("reminder_sends").document(f"{user.uid}_2025-01-01").get().exists
    assert other.get().exists
    with pytest.raises(fb_auth.UserNotFoundError):
        fb_auth.get_user(user.uid, app=firebase.app())


def test_delete_is_safe_to_repeat_after_a_partial_run(gateway: GatewayClient, user: AppUser) -> None:
    from functions.auth_hooks.deletion import delete_account

    gateway.get("/v1/me", headers=user.headers)
    delete_account(user.uid)
    assert delete_account(user.uid).documents_deleted >= 0
