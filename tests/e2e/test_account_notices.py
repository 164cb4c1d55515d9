"""Account notices end to end: a renewal that fails at the local Stripe reaches the webhook, which
asks reminders for a notice; the tick hands it to the queue and the sender pushes it through the
local FCM once, honouring the account_notices switch, quiet hours and a card updated meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud.firestore_v1.base_query import FieldFilter

from functions.reminders import public as reminders
from functions.reminders.batch import DueUser
from functions.reminders.kinds import Kind
from functions.reminders.notices import COLLECTION
from functions.reminders.send_records import record_id
from lib import firestore as db
from tests.conftest import AppUser, GatewayClient, MakeUser
from tests.support import reminders as reminders_support
from tests.support.payments import checkout, control, delivered, entitlement, local
from tests.support.reminders import Fcm, World, send_record, tick, wait_until_settled
from tests.support.waiting import wait_for

fcm = reminders_support.fcm
world = reminders_support.world


def reachable(gateway: GatewayClient, user: AppUser, quiet: tuple[str, str] = ("00:00", "00:00")) -> str:
    """A device for `user` and their quiet hours (none by default); the daily reminder stays off."""
    installation = f"fid-notice-{user.uid[:12]}"
    assert gateway.put(f"/v1/devices/{installation}", json={"platform": "ios"}, headers=user.headers).status_code == 200
    reminder = {"enabled": False, "local_time": "08:00", "timezone": "UTC"}
    reminder |= {"quiet_start": quiet[0], "quiet_end": quiet[1]}
    assert gateway.put("/v1/reminder", json=reminder, headers=user.headers).status_code == 200
    return installation


def notices_of(uid: str) -> list[dict[str, Any]]:
    found = db.client().collection(COLLECTION).where(filter=FieldFilter("uid", "==", uid)).stream()
    return [snapshot.to_dict() or {} for snapshot in found]


def renewal_failed(gateway: GatewayClient, user: AppUser) -> str:
    """The user's subscription, past due after a failed renewal, with its notice asked for."""
    subscription_id = str(checkout(gateway, user)["subscription"]["id"])
    wait_for(lambda: (entitlement(user.uid) or {}).get("state") == "active", "an active subscription")
    delivered(control(subscription_id, "payment_failed")["events"])
    assert (entitlement(user.uid) or {}).get("state") == "past_due"
    return subscription_id


def pushes_to(fcm: Fcm, installation: str) -> list[dict[str, Any]]:
    return [m for m in fcm.messages() if m["token"] == installation]


def settled_record(uid: str) -> dict[str, Any]:
    day = datetime.now(UTC).date()
    return wait_for(
        lambda: (r := send_record(uid, day, Kind.PAYMENT_FAILED)) and r["status"] not in ("claimed", "retry") and r,
        "the notice's send record to settle",
        120,
    )


def test_a_failed_renewal_pushes_one_account_notice_however_often_stripe_reports_it(
    gateway: GatewayClient, fcm: Fcm, user: AppUser
) -> None:
    installation = reachable(gateway, user)
    renewal_failed(gateway, user)
    # The failure comes as several events (the invoice, the subscription); each asks, one notice stands.
    assert len(notices_of(user.uid)) == 1

    tick(gateway, datetime.now(UTC))
    wait_for(lambda: len(pushes_to(fcm, installation)) == 1, "the notice at the local FCM", 120)
    record = settled_record(user.uid)
    assert record["status"] == "sent"
    message = pushes_to(fcm, installation)[0]
    assert message["data"]["kind"] == "payment_failed"
    assert message["data"]["message_id"] == record["message_id"]
    assert "Premium" in message["notification"]["body"]
    [notice] = notices_of(user.uid)
    assert "due_at" not in notice
    assert notice["dropped"] is False

    tick(gateway, datetime.now(UTC) + timedelta(seconds=1))
    assert len(notices_of(user.uid)) == 1
    assert "due_at" not in notices_of(user.uid)[0]
    assert len(pushes_to(fcm, installation)) == 1


def test_a_notice_honours_the_opt_out_and_a_card_updated_before_the_send(
    gateway: GatewayClient, fcm: Fcm, make_user: MakeUser
) -> None:
    opted_out, resolved = make_user(), make_user()
    installations = [reachable(gateway, opted_out), reachable(gateway, resolved)]
    switches = {"daily_reminder": True, "streak_at_risk": True, "account_notices": False}
    response = gateway.put("/v1/notifications/preferences", json=switches, headers=opted_out.headers)
    assert response.status_code == 200, response.text
    renewal_failed(gateway, opted_out)
    subscription_id = renewal_failed(gateway, resolved)
    paid = local("POST", f"/_local/subscriptions/{subscription_id}/update", data={"status": "active"})
    delivered(paid["events"])
    assert (entitlement(resolved.uid) or {}).get("state") == "active"

    tick(gateway, datetime.now(UTC))
    assert settled_record(opted_out.uid)["status"] == "skipped_off"
    assert settled_record(resolved.uid)["status"] == "skipped_resolved"
    assert [pushes_to(fcm, installation) for installation in installations] == [[], []]


def test_a_notice_due_in_quiet_hours_waits_for_their_end(gateway: GatewayClient, fcm: Fcm, user: AppUser) -> None:
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=2)
    installation = reachable(gateway, user, quiet=(start.strftime("%H:%M"), end.strftime("%H:%M")))
    renewal_failed(gateway, user)

    tick(gateway, datetime.now(UTC))
    [notice] = notices_of(user.uid)
    expected_end = end.replace(second=0, microsecond=0)
    assert notice["due_at"] == expected_end
    assert send_record(user.uid, datetime.now(UTC).date(), Kind.PAYMENT_FAILED) is None
    assert pushes_to(fcm, installation) == []


def test_a_notice_due_with_a_reminder_rides_in_its_batch_and_takes_the_cap_first(
    gateway: GatewayClient, fcm: Fcm, world: World
) -> None:
    [user] = world.add(1)
    # Earlier that day the nudge went out from another batch: one push of the cap is left.
    nudge = DueUser(uid=user.uid, local_date=world.day, kind=Kind.STREAK_AT_RISK)
    db.client().collection("reminder_sends").document(record_id(nudge)).set(
        {"uid": user.uid, "local_date": world.day.isoformat(), "kind": "streak_at_risk", "status": "sent"}
    )
    db.client().collection("entitlements").document(user.uid).set({"state": "past_due", "status": "past_due"})
    assert reminders.notify(user.uid, Kind.PAYMENT_FAILED, f"cus_{user.uid}/grace", world.due_at)

    assert tick(gateway, world.tick_at)["due"] >= 2
    wait_until_settled(world.day, 2)
    assert (send_record(user.uid, world.day, Kind.PAYMENT_FAILED) or {})["status"] == "sent"
    assert (send_record(user.uid, world.day) or {})["status"] == "skipped_cap"
    assert [m["data"]["kind"] for m in fcm.messages() if m["token"] in user.addresses] == ["payment_failed"]


def test_a_notice_reaches_a_user_whose_daily_cap_is_already_spent(
    gateway: GatewayClient, fcm: Fcm, world: World
) -> None:
    [user] = world.add(1)
    # The daily reminder and the nudge both went out earlier that day: the cap of 2 is spent.
    for kind in (Kind.DAILY_REMINDER, Kind.STREAK_AT_RISK):
        earlier = DueUser(uid=user.uid, local_date=world.day, kind=kind)
        db.client().collection("reminder_sends").document(record_id(earlier)).set(
            {"uid": user.uid, "local_date": world.day.isoformat(), "kind": kind.value, "status": "sent"}
        )
    db.client().collection("entitlements").document(user.uid).set({"state": "past_due", "status": "past_due"})
    assert reminders.notify(user.uid, Kind.PAYMENT_FAILED, f"cus_{user.uid}/grace", world.due_at)

    # Due: the notice, and the daily reminder whose record already says sent.
    assert tick(gateway, world.tick_at)["due"] >= 2
    wait_until_settled(world.day, 2)
    assert (send_record(user.uid, world.day, Kind.PAYMENT_FAILED) or {})["status"] == "sent"
    assert [m["data"]["kind"] for m in fcm.messages() if m["token"] in user.addresses] == ["payment_failed"]
