"""PUT /v1/reminder and PUT/DELETE /v1/devices/{installation_id} through the gateway."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from lib import firestore as db
from tests.conftest import AppUser, GatewayClient, MakeUser
from tests.support.documents import user_doc


def assert_refused_naming(response: requests.Response, field: str) -> None:
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid-argument"
    assert field in response.json()["error"]["message"]


def test_put_reminder_answers_and_stores_next_at_in_utc(gateway: GatewayClient, user: AppUser) -> None:
    body = {"enabled": True, "local_time": "20:30", "timezone": "Asia/Kolkata"}
    response = gateway.put("/v1/reminder", json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    next_at = datetime.fromisoformat(answer["next_at"])
    at_risk = datetime.fromisoformat(answer["next_by_kind"]["streak_at_risk"])
    defaults = {"at_risk_time": "20:00", "quiet_start": "22:00", "quiet_end": "07:00"}
    assert answer | {"next_at": None, "next_by_kind": None} == body | defaults | {"next_at": None, "next_by_kind": None}
    assert datetime.now(UTC) < next_at <= datetime.now(UTC) + timedelta(days=1)
    assert (next_at.hour, next_at.minute) == (15, 0)  # 20:30 IST
    assert (at_risk.hour, at_risk.minute) == (14, 30)  # 20:00 IST
    assert datetime.fromisoformat(answer["next_by_kind"]["daily_reminder"]) == next_at
    stored = user_doc(user.uid)
    assert stored["next_by_kind"] == {"daily_reminder": next_at, "streak_at_risk": at_risk}
    assert stored["next_at"] == min(next_at, at_risk)  # what the tick's query orders by
    assert gateway.get("/v1/me", headers=user.headers).json()["reminder"]["next_at"] == answer["next_at"]


def test_the_at_risk_time_is_settable_and_moves_out_of_the_quiet_hours(gateway: GatewayClient, user: AppUser) -> None:
    body = {"enabled": True, "local_time": "08:00", "timezone": "UTC", "at_risk_time": "21:15"}
    answer = gateway.put("/v1/reminder", json=body, headers=user.headers).json()
    assert datetime.fromisoformat(answer["next_by_kind"]["streak_at_risk"]).strftime("%H:%M") == "21:15"
    late = gateway.put("/v1/reminder", json=body | {"at_risk_time": "23:30"}, headers=user.headers).json()
    assert datetime.fromisoformat(late["next_by_kind"]["streak_at_risk"]).strftime("%H:%M") == "07:00"
    assert_refused_naming(
        gateway.put("/v1/reminder", json=body | {"at_risk_time": "9pm"}, headers=user.headers), "at_risk_time"
    )


def test_a_reminder_time_inside_the_quiet_hours_fires_at_their_end(gateway: GatewayClient, user: AppUser) -> None:
    body = {"enabled": True, "local_time": "06:15", "timezone": "UTC", "quiet_start": "23:00", "quiet_end": "06:45"}
    response = gateway.put("/v1/reminder", json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    next_at = datetime.fromisoformat(response.json()["next_at"])
    assert (next_at.hour, next_at.minute) == (6, 45)
    assert user_doc(user.uid)["reminder"] == body | {"at_risk_time": "20:00"}


def test_disabling_the_reminder_removes_next_at(gateway: GatewayClient, user: AppUser) -> None:
    on = {"enabled": True, "local_time": "08:00", "timezone": "Europe/Paris"}
    assert gateway.put("/v1/reminder", json=on, headers=user.headers).status_code == 200
    response = gateway.put("/v1/reminder", json=on | {"enabled": False}, headers=user.headers)
    assert response.status_code == 200
    assert response.json()["next_at"] is None
    stored = user_doc(user.uid)
    assert "next_at" not in stored
    assert "next_by_kind" not in stored
    defaults = {"at_risk_time": "20:00", "quiet_start": "22:00", "quiet_end": "07:00"}
    assert stored["reminder"] == on | {"enabled": False} | defaults


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"enabled": True, "local_time": "25:00", "timezone": "UTC"}, "local_time"),
        ({"enabled": True, "local_time": "08:00", "timezone": "Mars/Olympus"}, "timezone"),
        ({"enabled": True, "timezone": "UTC"}, "local_time"),
        ({"enabled": "sometimes", "local_time": "08:00", "timezone": "UTC"}, "enabled"),
        ({"enabled": True, "local_time": "08:00", "timezone": "UTC", "extra": 1}, "extra"),
        ({"enabled": True, "local_time": "08:00", "timezone": "UTC", "quiet_start": "7am"}, "quiet_start"),
    ],
)
def test_bad_reminder_is_400_naming_the_field(
    gateway: GatewayClient, user: AppUser, body: dict[str, object], field: str
) -> None:
    assert_refused_naming(gateway.put("/v1/reminder", json=body, headers=user.headers), field)


def test_reminder_needs_a_token(gateway: GatewayClient) -> None:
    response = gateway.put("/v1/reminder", json={"enabled": False, "local_time": "08:00", "timezone": "UTC"})
    assert response.status_code == 401


def device_doc(uid: str, installation_id: str) -> dict[str, object] | None:
    ref = db.client().collection("users").document(uid).collection("devices").document(installation_id)
    return ref.get().to_dict()


def test_device_without_token_is_addressed_by_installation_id(gateway: GatewayClient, user: AppUser) -> None:
    fid = f"f{uuid.uuid4().hex[:21]}"
    response = gateway.put(f"/v1/devices/{fid}", json={"platform": "android"}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["addressed_by"] == "fid"
    stored = device_doc(user.uid, fid)
    assert stored is not None
    assert stored["token"] is None
    assert stored["uid"] == user.uid
    assert user_doc(user.uid)["devices"] == {fid: {"token": None}}


def test_device_with_legacy_token_is_addressed_by_token(gateway: GatewayClient, user: AppUser) -> None:
    fid = f"f{uuid.uuid4().hex[:21]}"
    body = {"platform": "ios", "token": "legacy-registration-token", "app_version": "3.2.1"}
    response = gateway.put(f"/v1/devices/{fid}", json=body, headers=user.headers)
    assert response.status_code == 200
    assert response.json()["addressed_by"] == "token"
    assert (device_doc(user.uid, fid) or {})["token"] == "legacy-registration-token"


def test_delete_device_forgets_it_and_is_idempotent(gateway: GatewayClient, user: AppUser) -> None:
    fid = f"f{uuid.uuid4().hex[:21]}"
    assert gateway.put(f"/v1/devices/{fid}", json={"platform": "web"}, headers=user.headers).status_code == 200
    response = gateway.delete(f"/v1/devices/{fid}", headers=user.headers)
    assert response.status_code == 200
    assert response.json() == {"installation_id": fid, "deleted": True}
    assert device_doc(user.uid, fid) is None
    assert fid not in (user_doc(user.uid).get("devices") or {})
    assert gateway.delete(f"/v1/devices/{fid}", headers=user.headers).status_code == 200


@pytest.mark.parametrize(
    ("installation_id", "body"),
    [("bad.id", {"platform": "ios"}), ("ok-id", {"platform": "tv"}), ("__x__", {"platform": "ios"})],
)
def test_bad_device_is_400(gateway: GatewayClient, user: AppUser, installation_id: str, body: dict[str, str]) -> None:
    response = gateway.put(f"/v1/devices/{installation_id}", json=body, headers=user.headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid-argument"


def test_a_reserved_document_id_is_refused_by_delete_as_by_put(gateway: GatewayClient, user: AppUser) -> None:
    response = gateway.delete("/v1/devices/__x__", headers=user.headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid-argument"


def test_send_task_with_bad_body_is_400(gateway: GatewayClient) -> None:
    response = gateway.post("/internal/reminders/send", json={"batch": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid-argument"


def owners_of(installation_id: str, *uids: str) -> list[str]:
    """Which of `uids` hold the device, by device document and by mirror entry alike."""
    held = []
    for uid in uids:
        document = db.client().collection("users").document(uid).collection("devices").document(installation_id)
        mirrored = installation_id in (user_doc(uid).get("devices") or {})
        assert document.get().exists == mirrored, f"{uid}: device document and mirror disagree"
        if mirrored:
            held.append(uid)
    return held


def test_registering_a_device_takes_it_from_its_previous_user(gateway: GatewayClient, make_user: MakeUser) -> None:
    ana, ben = make_user("Ana"), make_user("Ben")
    fid = f"shared-{uuid.uuid4().hex}"
    assert gateway.put(f"/v1/devices/{fid}", json={"platform": "ios"}, headers=ana.headers).status_code == 200
    assert owners_of(fid, ana.uid, ben.uid) == [ana.uid]
    assert gateway.put(f"/v1/devices/{fid}", json={"platform": "ios"}, headers=ben.headers).status_code == 200
    assert owners_of(fid, ana.uid, ben.uid) == [ben.uid]
    assert db.client().collection("device_owners").document(fid).get().to_dict()["uid"] == ben.uid


def test_signing_out_of_a_device_someone_else_took_leaves_it_with_them(
    gateway: GatewayClient, make_user: MakeUser
) -> None:
    ana, ben = make_user("Ana"), make_user("Ben")
    fid = f"shared-{uuid.uuid4().hex}"
    assert gateway.put(f"/v1/devices/{fid}", json={"platform": "ios"}, headers=ana.headers).status_code == 200
    assert gateway.put(f"/v1/devices/{fid}", json={"platform": "ios"}, headers=ben.headers).status_code == 200
    assert gateway.delete(f"/v1/devices/{fid}", headers=ana.headers).status_code == 200
    assert owners_of(fid, ana.uid, ben.uid) == [ben.uid]
    assert db.client().collection("device_owners").document(fid).get().to_dict()["uid"] == ben.uid
    assert gateway.delete(f"/v1/devices/{fid}", headers=ben.headers).status_code == 200
    assert owners_of(fid, ana.uid, ben.uid) == []
    assert not db.client().collection("device_owners").document(fid).get().exists


def test_two_users_registering_one_device_at_once_leave_exactly_one_owner(
    gateway: GatewayClient, make_user: MakeUser
) -> None:
    users = [make_user(f"User {n}") for n in range(4)]
    uids = [u.uid for u in users]
    for _ in range(5):
        fid = f"raced-{uuid.uuid4().hex}"
        start = threading.Barrier(len(users))

        def register(user: AppUser, fid: str = fid, start: threading.Barrier = start) -> int:
            start.wait()
            return gateway.put(f"/v1/devices/{fid}", json={"platform": "android"}, headers=user.headers).status_code

        with ThreadPoolExecutor(max_workers=len(users)) as pool:
            assert list(pool.map(register, users)) == [200] * len(users)
        held = owners_of(fid, *uids)
        assert len(held) == 1, held
        assert db.client().collection("device_owners").document(fid).get().to_dict()["uid"] == held[0]


ROUNDS = 20


def test_users_tugging_one_device_back_and_forth_all_get_answers(gateway: GatewayClient, make_user: MakeUser) -> None:
    """Sustained contention for one device, as from accounts signed in on one phone by a buggy
    app: each request claims or signs out of the device another just took. Claims in a locking
    transaction deadlocked here and some ran into the 8 s request deadline (503)."""
    users = [make_user(f"User {n}") for n in range(4)]
    fid = f"tugged-{uuid.uuid4().hex}"
    start = threading.Barrier(len(users))

    def tug(user: AppUser) -> list[int]:
        start.wait()
        answers = []
        for n in range(ROUNDS):
            if n % 5 == 4:
                response = gateway.delete(f"/v1/devices/{fid}", headers=user.headers)
            else:
                response = gateway.put(f"/v1/devices/{fid}", json={"platform": "ios"}, headers=user.headers)
            answers.append(response.status_code)
        return answers

    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        assert list(pool.map(tug, users)) == [[200] * ROUNDS] * len(users)
    assert len(owners_of(fid, *(u.uid for u in users))) <= 1
    for user in users:
        assert gateway.put(f"/v1/devices/{fid}", json={"platform": "ios"}, headers=user.headers).status_code == 200
    assert owners_of(fid, *(u.uid for u in users)) == [users[-1].uid]
    assert db.client().collection("device_owners").document(fid).get().to_dict()["uid"] == users[-1].uid


ALL_ON = {"daily_reminder": True, "streak_at_risk": True, "account_notices": True}


def test_every_notification_category_is_on_until_turned_off(gateway: GatewayClient, user: AppUser) -> None:
    response = gateway.get("/v1/notifications/preferences", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json() == ALL_ON
    chosen = ALL_ON | {"streak_at_risk": False}
    response = gateway.put("/v1/notifications/preferences", json=chosen, headers=user.headers)
    assert (response.status_code, response.json()) == (200, chosen)
    assert gateway.get("/v1/notifications/preferences", headers=user.headers).json() == chosen
    assert user_doc(user.uid)["notifications"] == chosen


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"daily_reminder": True, "streak_at_risk": True}, "account_notices"),
        (ALL_ON | {"daily_reminder": "no"}, "daily_reminder"),
        (ALL_ON | {"daily_reminder": 0}, "daily_reminder"),
        (ALL_ON | {"marketing": False}, "marketing"),
    ],
)
def test_bad_notification_preferences_are_400_naming_the_field(
    gateway: GatewayClient, user: AppUser, body: dict[str, object], field: str
) -> None:
    assert_refused_naming(gateway.put("/v1/notifications/preferences", json=body, headers=user.headers), field)
    assert "notifications" not in user_doc(user.uid)
