"""functions/auth_hooks/user_data: every Firestore document that names a user is in their data
export and gone after their account deletion.

The user first uses every feature; then the whole database is searched for the uid, by the
ways a document can belong to a user (tests/support/documents.py). A collection added later
that stores a uid without being listed in user_data.py makes this test fail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from functions.reminders import send_records
from functions.reminders.batch import DueUser
from functions.reminders.kinds import Kind
from functions.stripe_webhook import store_purchases
from functions.stripe_webhook.store_subscription import Store, StoreState, StoreSubscription
from lib import firestore as db
from lib import tombstones
from tests.conftest import AppUser, GatewayClient, MakeUser
from tests.support.documents import documents_naming
from tests.support.payments import checkout, control, delivered
from tests.support.waiting import wait_for

TOKEN = "fcm-token-that-must-not-leave"


def use_every_feature(gateway: GatewayClient, user: AppUser) -> None:
    headers = user.headers
    assert gateway.get("/v1/me", headers=headers).status_code == 200
    assert gateway.patch("/v1/me", json={"timezone": "Europe/Paris"}, headers=headers).status_code == 200
    assert gateway.post("/v1/checkins", headers=headers).status_code == 200
    reminder = {"enabled": True, "local_time": "08:00", "timezone": "Europe/Paris"}
    assert gateway.put("/v1/reminder", json=reminder, headers=headers).status_code == 200
    device = {"platform": "android", "token": TOKEN}
    assert gateway.put("/v1/devices/fid-data-1", json=device, headers=headers).status_code == 200
    subscription_id = checkout(gateway, user)["subscription"]["id"]
    wait_for(lambda: db.client().collection("entitlements").document(user.uid).get().exists, "entitlement")
    # A failed renewal asks for an account notice.
    delivered(control(subscription_id, "payment_failed")["events"])
    # A send record, as the reminder sender claims one.
    due = DueUser(uid=user.uid, local_date=date(2026, 12, 1), kind=Kind.STREAK_AT_RISK)
    owner = send_records.Owner(batch="test-batch", attempt=1, day=date(2026, 12, 1))
    send_records.claim({send_records.record_id(due): due}, {}, owner, datetime.now(UTC))
    # A store purchase, bought with the account token the app asks for.
    token = gateway.get("/v1/billing/store-account", headers=headers).json()["app_account_token"]
    bought = StoreSubscription(
        store=Store.APP_STORE,
        purchase_id=f"data-{user.uid}",
        account_token=token,
        product_id="premium.monthly",
        state=StoreState.ACTIVE,
        expires_at=datetime.now(UTC) + timedelta(days=30),
        grace_until=None,
        environment="LocalTesting",
    )
    store_purchases.record(bought, synced_at=datetime.now(UTC))


def test_every_document_naming_the_user_is_exported_and_deleted(gateway: GatewayClient, user: AppUser) -> None:
    use_every_feature(gateway, user)
    stored = documents_naming(user.uid)
    collections = {name for path in stored for name in path.split("/")[0::2]}
    expected = {
        *("users", "checkins", "devices", "entitlements", "stripe_customers"),
        *("reminder_sends", "device_owners", "account_notices", "store_purchases", "store_accounts"),
    }
    assert expected <= collections

    export = gateway.get("/v1/me/export", headers=user.headers)
    assert export.status_code == 200, export.text
    exported = {d["path"]: d["data"] for d in export.json()["documents"]}
    assert stored <= set(exported), f"not exported: {sorted(stored - set(exported))}"
    assert TOKEN not in export.text

    assert gateway.delete("/v1/me", headers=user.headers).status_code == 200
    # Only the tombstone is left, which is not the user's data (user_data.NOT_USER_DATA).
    assert documents_naming(user.uid) == {tombstones.ref(user.uid).path}


def test_the_export_holds_profile_streak_reminder_and_redacted_devices(gateway: GatewayClient, user: AppUser) -> None:
    use_every_feature(gateway, user)
    documents = {d["path"]: d["data"] for d in gateway.get("/v1/me/export", headers=user.headers).json()["documents"]}
    profile = documents[f"users/{user.uid}"]
    assert profile["streak"]
    assert profile["reminder"]["local_time"] == "08:00"
    assert documents[f"users/{user.uid}/devices/fid-data-1"]["token"] == "[redacted]"
    assert documents[f"entitlements/{user.uid}"]["plan"] == "premium"
    assert any(path.startswith(f"users/{user.uid}/checkins/") for path in documents)


def test_another_users_data_is_not_in_the_export(gateway: GatewayClient, user: AppUser, make_user: MakeUser) -> None:
    other = make_user()
    assert gateway.post("/v1/checkins", headers=other.headers).status_code == 200
    documents = gateway.get("/v1/me/export", headers=user.headers).json()["documents"]
    assert all(other.uid not in d["path"] for d in documents)
