"""Devices under users/{uid}/devices/{installation_id}: registered by the app, read by the
sender, pruned when FCM says a token is dead or when a device has been idle too long."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, ConfigDict, Field

from functions.reminders.conditional_writes import Write, commit, deleted
from lib import firestore as db
from lib.push import Address

# Firestore's `in` filter takes at most 30 values.
_IN_LIMIT = 30
_PAGE = 500

_INSTALLATION_ID = re.compile(r"[A-Za-z0-9_\-]{1,200}")

Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


def valid_installation_id(value: str) -> bool:
    return _INSTALLATION_ID.fullmatch(value) is not None


class DeviceRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Literal["ios", "android", "web"]
    token: str | None = Field(default=None, min_length=1, max_length=4096)
    app_version: str | None = Field(default=None, max_length=64)


class DeviceView(BaseModel):
    installation_id: str
    platform: str
    addressed_by: Literal["fid", "token"]
    updated_at: datetime


@dataclass(frozen=True)
class Device:
    uid: str
    installation_id: str
    token: str | None

    @property
    def address(self) -> Address:
        return Address(fid=self.installation_id, token=self.token)


def device_ref(uid: str, installation_id: str) -> firestore.DocumentReference:
    user: firestore.DocumentReference = db.client().collection("users").document(uid)
    device: firestore.DocumentReference = user.collection("devices").document(installation_id)
    return device


def register_device(uid: str, installation_id: str, registration: DeviceRegistration, now: datetime) -> DeviceView:
    """Creates or refreshes the device; a registration without a token drops any old legacy
    token, since the app has moved to installation-ID addressing."""
    device_ref(uid, installation_id).set(
        {
            "uid": uid,
            "installation_id": installation_id,
            "platform": registration.platform,
            "token": registration.token,
            "app_version": registration.app_version,
            "updated_at": now,
        }
    )
    addressed_by: Literal["fid", "token"] = "token" if registration.token else "fid"
    return DeviceView(
        installation_id=installation_id, platform=registration.platform, addressed_by=addressed_by, updated_at=now
    )


def forget_device(uid: str, installation_id: str) -> None:
    device_ref(uid, installation_id).delete()


def _device_of(data: dict[str, Any]) -> Device:
    return Device(uid=data["uid"], installation_id=data["installation_id"], token=data.get("token"))


def devices_of(uids: Sequence[str]) -> dict[str, list[Device]]:
    """Every device of these users, by uid: one collection-group query per 30 users, run
    side by side."""
    chunks = [list(uids[i : i + _IN_LIMIT]) for i in range(0, len(uids), _IN_LIMIT)]

    def query(chunk: list[str]) -> list[Device]:
        found = db.client().collection_group("devices").where(filter=FieldFilter("uid", "in", chunk)).stream()
        return [_device_of(snapshot.to_dict() or {}) for snapshot in found]

    by_uid: dict[str, list[Device]] = {uid: [] for uid in uids}
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(chunks)))) as pool:
        for devices in pool.map(query, chunks):
            for device in devices:
                by_uid[device.uid].append(device)
    return by_uid


def deletions(devices: Iterable[Device]) -> list[Write]:
    return [deleted(device_ref(d.uid, d.installation_id)) for d in devices]


def delete_devices(devices: Sequence[Device]) -> int:
    commit(deletions(devices))
    return len(devices)


def idle_devices(now: datetime, idle_days: int) -> Iterator[list[Device]]:
    """Pages of devices not refreshed for more than `idle_days`."""
    cutoff = now - timedelta(days=idle_days)
    query = (
        db.client()
        .collection_group("devices")
        .where(filter=FieldFilter("updated_at", "<", cutoff))
        .order_by("updated_at")
        .limit(_PAGE)
    )
    cursor: Snapshot | None = None
    while True:
        page = list((query.start_after(cursor) if cursor else query).stream())
        if not page:
            return
        yield [_device_of(snapshot.to_dict() or {}) for snapshot in page]
        if len(page) < _PAGE:
            return
        cursor = page[-1]
