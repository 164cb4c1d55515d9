"""Seeding and observing the reminder benchmark's users (Firestore and the local FCM)."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime

import requests
from google.cloud import firestore

from lib import firestore as db

FINAL = ("sent", "skipped_done", "skipped_off", "skipped_duplicate", "no_device", "failed")


def seed(count: int, due_at: datetime) -> dict[str, str]:
    """`count` users due at `due_at` (UTC reminders), one FID-addressed device each: uid → FID."""
    addresses = {}
    batch = db.client().batch()
    for i in range(count):
        uid = f"bench-{uuid.uuid4().hex[:20]}"
        fid = f"fid{uuid.uuid4().hex[:19]}"
        user = db.client().collection("users").document(uid)
        batch.set(
            user,
            {
                "uid": uid,
                "timezone": "UTC",
                "reminder": {"enabled": True, "local_time": due_at.strftime("%H:%M"), "timezone": "UTC"},
                "next_at": due_at,
                "devices": {fid: {"token": None}},
            },
        )
        batch.set(
            user.collection("devices").document(fid),
            {"uid": uid, "installation_id": fid, "platform": "android", "token": None, "updated_at": datetime.now(UTC)},
        )
        addresses[uid] = fid
        if (i + 1) % 250 == 0:
            batch.commit()
            batch = db.client().batch()
    batch.commit()
    return addresses


def retire(uids: list[str]) -> None:
    """Turns the users' reminders off, so no later tick finds them due."""
    for start in range(0, len(uids), 400):
        batch = db.client().batch()
        for uid in uids[start : start + 400]:
            batch.update(db.client().collection("users").document(uid), {"next_at": firestore.DELETE_FIELD})
        batch.commit()


def counters(day: date) -> dict[str, int]:
    data = db.client().collection("ops_daily").document(day.isoformat()).get().to_dict() or {}
    return {k: v for k, v in data.items() if isinstance(v, int)}


def wait_settled(day: date, due: int, timeout_s: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = counters(day)
        if found.get("due", 0) >= due and sum(found.get(k, 0) for k in FINAL) >= found.get("due", 0):
            return found
        time.sleep(0.2)
    raise TimeoutError(f"not settled after {timeout_s:.0f}s: {counters(day)}")


def messages_per_address(fcm_endpoint: str, addresses: set[str]) -> Counter[str]:
    response = requests.get(f"{fcm_endpoint}/_local/messages", timeout=120)
    response.raise_for_status()
    return Counter(m["token"] for m in response.json()["messages"] if m["token"] in addresses)
