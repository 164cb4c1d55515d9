"""functions/auth_hooks/deletion: deleting an account is final. Whatever was still in flight for
the user when DELETE /v1/me ran (app requests past their token check, the webhooks of a
checkout, a reminder batch queued earlier) leaves nothing of the user behind but the tombstone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from functions.auth_hooks import deletion, profile
from functions.reminders import devices, notices, notification_preferences, preferences, send_records
from functions.reminders.batch import Batch, DueUser
from functions.reminders.conditional_writes import apply_each
from functions.reminders.kinds import Kind
from functions.streaks import checkins
from functions.streaks.api import CheckinRequest
from functions.stripe_webhook import checkout_attempts, customers, store_accounts
from lib import errors, tombstones
from tests.conftest import AppUser, GatewayClient, MakeUser
from tests.support import reminders as reminders_support
from tests.support.days import unique_day
from tests.support.documents import documents_naming
from tests.support.payments import checkout, deliver, entitlement, event_payload, undelivered_checkout
from tests.support.reminders import Fcm, counters
from tests.support.waiting import wait_for

fcm = reminders_support.fcm

# Each racing writer stops at its first 401 (its account is gone) or after this many requests.
MAX_REQUESTS_EACH = 150
REMINDER = {"enabled": True, "local_time": "08:00", "timezone": "Europe/Paris"}
NOTIFICATIONS = {"daily_reminder": True, "streak_at_risk": False, "account_notices": True}
OTHER_TOKEN = "fcm-token-of-a-user-who-stays"
# The codes an app request may answer once its account is being deleted: refused at its write,
# or at the token check once the Auth user is gone.
GONE_CODES = {"auth/account-deleted", "auth/invalid-id-token"}


@dataclass
class Writer:
    method: str
    path: str
    body: dict[str, Any] | None = None
    answers: list[tuple[int, str]] = field(default_factory=list)

    def run(self, gateway: GatewayClient, user: AppUser, all_answered: threading.Barrier) -> None:
        for sent in range(1, MAX_REQUESTS_EACH + 1):
            response = gateway.request(self.method, self.path, json=self.body, headers=user.headers, timeout=60)
            code = response.json().get("error", {}).get("code", "") if response.status_code >= 400 else ""
            self.answers.append((response.status_code, code))
            if sent == 1:
                all_answered.wait()
            if response.status_code == 401:
                return


def app_writers() -> list[Writer]:
    """A writer of every kind of per-user data the app writes."""
    return [
        Writer("GET", "/v1/me"),  # creates the profile when it is missing
        Writer("PATCH", "/v1/me", {"display_name": "Racer"}),
        Writer("POST", "/v1/checkins"),
        Writer("PUT", "/v1/reminder", REMINDER),
        Writer("PUT", "/v1/notifications/preferences", NOTIFICATIONS),
        Writer("PUT", "/v1/devices/fid-race-1", {"platform": "android", "token": "fcm-token-of-the-deleted"}),
        Writer("DELETE", "/v1/devices/fid-race-2"),
        Writer("POST", "/v1/billing/checkout-session", {}),
        Writer("GET", "/v1/billing/store-account"),  # stores the account token's mapping when it is missing
    ]


def send_as_cloud_tasks(gateway: GatewayClient, batch: Batch) -> requests.Response:
    headers = {
        "Content-Type": "application/json",
        "X-CloudTasks-TaskName": batch.batch,
        "X-CloudTasks-TaskRetryCount": "0",
        "X-CloudTasks-TaskExecutionCount": "0",
    }
    return gateway.post("/internal/reminders/send", data=batch.model_dump_json(), headers=headers, timeout=120)


def a_user_who_stays(gateway: GatewayClient, make_user: MakeUser) -> AppUser:
    other = make_user()
    assert gateway.put("/v1/reminder", json=REMINDER, headers=other.headers).status_code == 200
    device = {"platform": "ios", "token": OTHER_TOKEN}
    assert gateway.put("/v1/devices/fid-stays", json=device, headers=other.headers).status_code == 200
    return other


def test_writers_racing_the_deletion_leave_nothing_but_the_tombstone(
    gateway: GatewayClient, user: AppUser, make_user: MakeUser, fcm: Fcm
) -> None:
    # A checkout paid at Stripe whose webhooks have not arrived yet.
    in_flight = undelivered_checkout(gateway, user)
    # A reminder batch queued for the user and for one who stays.
    other = a_user_who_stays(gateway, make_user)
    day = unique_day()
    due_at = datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)
    batch = Batch(
        batch=f"deletion-race-{user.uid[:20]}",
        day=day,
        users=[DueUser(uid=uid, local_date=day, due_at=due_at) for uid in (user.uid, other.uid)],
    )

    writers = app_writers()
    # The deletion goes out once every writer has had one answer, and the writers go on from that
    # same moment: had the quick writers run on while a slow one waited for its first answer, they
    # would have spent the user's rate-limit burst and the deletion would be refused with 429.
    all_answered = threading.Barrier(len(writers) + 1, timeout=60)
    with ThreadPoolExecutor(max_workers=len(writers)) as pool:
        running = [pool.submit(writer.run, gateway, user, all_answered) for writer in writers]
        all_answered.wait()
        deleted = gateway.delete("/v1/me", headers=user.headers, timeout=120)
        for done in running:
            done.result(timeout=120)
    assert deleted.status_code == 200, deleted.text

    # After the deletion answered: the checkout's webhooks, then the queued batch.
    for event_id in in_flight["events"]:
        answer = deliver(gateway, event_payload(event_id))
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcome"] in ("orphaned", "ignored")
    assert send_as_cloud_tasks(gateway, batch).status_code == 200

    assert documents_naming(user.uid) == {tombstones.ref(user.uid).path}
    for writer in writers:
        refused = {code for status, code in writer.answers if status == 401}
        assert refused <= GONE_CODES, (writer.path, writer.answers)
        assert all(status != 500 for status, _ in writer.answers), (writer.path, writer.answers)
    assert (counters(day).get("skipped_deleted"), counters(day).get("sent")) == (1, 1)
    assert [m["token"] for m in fcm.messages()] == [OTHER_TOKEN]


def late_requests(uid: str, email: str | None) -> dict[str, Callable[[], object]]:
    """Each writer of per-user data, as a request or webhook that passed its checks before the
    deletion would run it after."""
    now = datetime.now(UTC)
    return {
        "profile": lambda: profile.ensure_profile(uid, email),
        "profile patch": lambda: profile.update_profile(uid, profile.ProfilePatch(display_name="Late")),
        "reminder": lambda: preferences.save_reminder(uid, preferences.ReminderSetting.model_validate(REMINDER), now),
        "notifications": lambda: notification_preferences.save_preferences(
            uid, notification_preferences.NotificationPreferences.model_validate(NOTIFICATIONS)
        ),
        "device": lambda: devices.register_device(uid, "fid-late", devices.DeviceRegistration(platform="web"), now),
        "device forgotten": lambda: devices.forget_device(uid, "fid-late"),
        "check-in": lambda: checkins.check_in(uid, CheckinRequest()),
        "notice": lambda: notices.notify(uid, Kind.PAYMENT_FAILED, "late", now),
        "stripe customer": lambda: customers.ensure_customer(uid, email),
        "checkout attempt": lambda: checkout_attempts.start(uid, "digest", replacing=None),
        "store account": lambda: store_accounts.token_for(uid),
    }


@pytest.mark.parametrize("writer", sorted(late_requests("-", None)))
def test_a_request_committing_after_the_deletion_is_refused(gateway: GatewayClient, user: AppUser, writer: str) -> None:
    assert gateway.get("/v1/me", headers=user.headers).status_code == 200
    assert gateway.delete("/v1/me", headers=user.headers).status_code == 200
    with pytest.raises(errors.AccountDeleted) as refused:
        late_requests(user.uid, user.email)[writer]()
    assert (refused.value.status, refused.value.code) == (401, "auth/account-deleted")
    assert documents_naming(user.uid) == {tombstones.ref(user.uid).path}


def test_the_reminder_senders_writes_after_the_deletion_leave_nothing(gateway: GatewayClient, user: AppUser) -> None:
    assert gateway.delete("/v1/me", headers=user.headers).status_code == 200
    now = datetime.now(UTC)
    due = DueUser(uid=user.uid, local_date=now.date(), kind=Kind.STREAK_AT_RISK)
    owner = send_records.Owner(batch="late-batch", attempt=0, day=now.date())
    assert send_records.claim({send_records.record_id(due): due}, {}, owner, now) == set()
    apply_each(devices.deletions([devices.Device(user.uid, "fid-late", None)]))  # the sender pruning a dead token
    assert documents_naming(user.uid) == {tombstones.ref(user.uid).path}


def test_a_deletion_retried_after_stopping_midway_finishes_the_job(gateway: GatewayClient, user: AppUser) -> None:
    checkout(gateway, user)
    wait_for(lambda: entitlement(user.uid), "the entitlement")
    # A first run that stopped after closing billing: the tombstone is down, the Stripe customer
    # is gone, every document is still there.
    tombstones.record(user.uid, datetime.now(UTC))
    assert deletion.close_billing(user.uid).customer_deleted
    retried = gateway.delete("/v1/me", headers=user.headers)
    assert retried.status_code == 200, retried.text
    assert documents_naming(user.uid) == {tombstones.ref(user.uid).path}
    assert gateway.get("/v1/me", headers=user.headers).status_code == 401
