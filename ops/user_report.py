"""Everything about one user an operator asks about, read from where each concern keeps it:
profile, streak and reminder (users/{uid}), devices, entitlement and the plan claim, the last
send records, and the Stripe events of the user's customer with our record of each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from firebase_admin import auth as fb_auth

from functions.reminders.send_records import COLLECTION as SENDS
from functions.streaks.summary import summary_of
from functions.stripe_webhook import customers, entitlement_store, events, reconciliation
from lib import firebase, queries
from lib import firestore as db
from lib.entitlements import plan_from, source_of
from lib.idempotency import utc_now
from ops.failures import NotFound

DEVICES = queries.QueryShape("devices")
# Send records by document id (`{uid}_{local_date}[_{kind}]`): a key range needs no index, and
# ascending is the only key order the emulator scans.
SENDS_BY_KEY = queries.QueryShape(SENDS, filters=((queries.DOCUMENT_ID, ">="), (queries.DOCUMENT_ID, "<")))


def masked(token: str | None) -> str | None:
    """Enough of a device token to tell two apart, not enough to send to it."""
    if not token:
        return None
    return f"{token[:6]}…{token[-4:]}" if len(token) > 14 else "…"


@dataclass
class UserReport:
    uid: str
    profile: dict[str, Any]
    streak: dict[str, Any]
    reminder: dict[str, Any] | None
    next_at: datetime | None
    devices: list[dict[str, Any]]
    entitlement: dict[str, Any]
    sends: list[dict[str, Any]]
    stripe_events: list[dict[str, Any]] = field(default_factory=list)


def _auth_user(uid: str) -> fb_auth.UserRecord | None:
    try:
        return fb_auth.get_user(uid, app=firebase.app())
    except fb_auth.UserNotFoundError:
        return None


def _devices(uid: str) -> list[dict[str, Any]]:
    found = queries.stream(DEVICES, db.client().collection("users").document(uid))
    shown = []
    for snapshot in found:
        device = snapshot.to_dict() or {}
        shown.append(
            {
                "installation_id": snapshot.id,
                "platform": device.get("platform"),
                "addressed_by": "token" if device.get("token") else "fid",
                "token": masked(device.get("token")),
                "app_version": device.get("app_version"),
                "updated_at": device.get("updated_at"),
            }
        )
    return shown


def _sends(uid: str, first: date) -> list[dict[str, Any]]:
    """The send records of every kind for local dates from `first`, newest first."""
    collection = db.client().collection(SENDS)
    low, high = collection.document(f"{uid}_{first.isoformat()}"), collection.document(f"{uid}_\uf8ff")
    records = [s.to_dict() or {} for s in queries.stream(SENDS_BY_KEY, db.client(), low, high)]
    mine = [r for r in records if r.get("uid") == uid]
    fields = ("local_date", "kind", "status", "attempt", "sent_at", "opened_at", "error")
    return [{k: r.get(k) for k in fields} for r in reversed(mine)]


def _entitlement(uid: str, auth_user: fb_auth.UserRecord | None) -> dict[str, Any]:
    stored = db.client().collection("entitlements").document(uid).get().to_dict()
    claims = (auth_user.custom_claims or {}) if auth_user else {}
    fields = ("status", "current_period_end", "customer_id", "subscription_id")
    stripe = entitlement_store.stripe_view_in(stored or {})
    return {
        "plan": plan_from(stored),
        "source": source_of(stored),
        **{name: (stored or {}).get(name) for name in fields},
        "synced_at": stripe[1] if stripe else None,  # when Stripe was last read
        "claim_plan": claims.get("plan"),
        "stored": stored is not None,
    }


def stripe_events_of(customer_id: str, since: datetime) -> list[dict[str, Any]]:
    """The customer's events since `since`, newest first, each with our record's state."""
    now = utc_now()
    shown = []
    for event in reconciliation.recent_events(since):
        if events.customer_in(event) != customer_id:
            continue
        record = events.event_records().record(str(event["id"]))
        shown.append(
            {
                "id": event["id"],
                "type": event["type"],
                "created": datetime.fromtimestamp(int(event["created"]), tz=now.tzinfo),
                "record": record.state(now).value if record else "not recorded",
            }
        )
    return sorted(shown, key=lambda e: e["created"], reverse=True)


def report_of(uid: str, sends_since: date, events_since: datetime | None) -> UserReport:
    """The report; `events_since` None leaves Stripe out (no call to Stripe)."""
    snapshot = db.client().collection("users").document(uid).get()
    auth_user = _auth_user(uid)
    if not snapshot.exists and auth_user is None:
        raise NotFound(f"no user {uid!r} (neither a profile document nor an Auth account)")
    user = snapshot.to_dict() or {}
    summary = summary_of(user)
    report = UserReport(
        uid=uid,
        profile={
            "email": user.get("email") or (auth_user.email if auth_user else None),
            "display_name": user.get("display_name") or (auth_user.display_name if auth_user else None),
            "timezone": user.get("timezone"),
            "created_at": user.get("created_at"),
            "auth_account": "disabled" if auth_user and auth_user.disabled else ("yes" if auth_user else "missing"),
        },
        streak={"current": summary.current, "longest": summary.longest, "last_day": summary.last_day},
        reminder=user.get("reminder") if isinstance(user.get("reminder"), dict) else None,
        next_at=user.get("next_at"),
        devices=_devices(uid),
        entitlement=_entitlement(uid, auth_user),
        sends=_sends(uid, sends_since),
    )
    customer_id = customers.customer_of(uid)
    report.entitlement["customer_id"] = report.entitlement["customer_id"] or customer_id
    if customer_id and events_since is not None:
        report.stripe_events = stripe_events_of(customer_id, events_since)
    return report
