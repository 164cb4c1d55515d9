"""Devices under users/{uid}/devices/{installation_id}: registered by the app, read by the
sender, pruned when FCM says a token is dead or when a device has been idle too long.

A device belongs to one user at a time: device_owners/{installation_id} names its owner, and
registering moves the device to the caller in the same commit that removes it from the
previous owner, so a shared or resold phone never gets two accounts' reminders. Both go by
conditional commits rather than transactions: two accounts can contend for one device, and a
locking transaction on a contended document waits out lock timeouts (decision 0026)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath
from pydantic import BaseModel, ConfigDict, Field

from functions.reminders.conditional_writes import Write, apply_each, deleted, guarded, set_merged
from lib import firestore as db
from lib import queries, tombstones
from lib.push_address import Address
from lib.queries import Snapshot

IAM_PERMISSIONS = db.WRITES


_PAGE = 500

# The daily sweep's query: every user's devices, oldest refresh first.
IDLE_DEVICES = queries.QueryShape(
    "devices",
    queries.Scope.COLLECTION_GROUP,
    filters=(("updated_at", "<"),),
    order=(("updated_at", queries.ASCENDING),),
)

# Also the path parameter's pattern in /openapi.json (gateway/openapi.py), so it is anchored; the
# lookahead leaves out the ids Firestore reserves for itself (`__.*__`), which it refuses to store.
INSTALLATION_ID_PATTERN = r"^(?!__.*__$)[A-Za-z0-9_-]{1,200}$"
_INSTALLATION_ID = re.compile(INSTALLATION_ID_PATTERN)


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


def _user_ref(uid: str) -> firestore.DocumentReference:
    user: firestore.DocumentReference = db.client().collection("users").document(uid)
    return user


def device_ref(uid: str, installation_id: str) -> firestore.DocumentReference:
    device: firestore.DocumentReference = _user_ref(uid).collection("devices").document(installation_id)
    return device


def owner_ref(installation_id: str) -> firestore.DocumentReference:
    owner: firestore.DocumentReference = db.client().collection("device_owners").document(installation_id)
    return owner


def _mirror_field(installation_id: str) -> str:
    # Quoted: installation IDs may hold '-', which a dotted field path does not allow bare.
    return FieldPath("devices", installation_id).to_api_repr()


def _address_entry(installation_id: str, token: str | None) -> dict[str, Any]:
    """The mirror of a device on users/{uid}.devices, so the sender reads one document per user."""
    return {"devices": {installation_id: {"token": token}}}


def register_device(uid: str, installation_id: str, registration: DeviceRegistration, now: datetime) -> DeviceView:
    """Creates or refreshes the device and its mirror, taking it from any other user, in one
    conditional commit; a registration without a token drops any old legacy token, since the app
    has moved to installation-ID addressing."""
    device = {
        "uid": uid,
        "installation_id": installation_id,
        "platform": registration.platform,
        "token": registration.token,
        "app_version": registration.app_version,
        "updated_at": now,
    }
    db.rerun_on_conflict(lambda: _claim(uid, installation_id, device, now))
    addressed_by: Literal["fid", "token"] = "token" if registration.token else "fid"
    return DeviceView(
        installation_id=installation_id, platform=registration.platform, addressed_by=addressed_by, updated_at=now
    )


def _claim(uid: str, installation_id: str, device: dict[str, Any], now: datetime) -> None:
    """One attempt at registering: reads the owner, the caller's user document and device, then
    commits on the condition that what decided the writes is unchanged (decision 0026)."""
    owner, user, held = db.read_all([owner_ref(installation_id), _user_ref(uid), device_ref(uid, installation_id)])
    batch = db.client().batch()
    if (owner.to_dict() or {}).get("uid") == uid and held.exists:
        # A refresh, once a day: conditioned on the device itself, since taking the device or
        # signing it out deletes it; one write instead of three (docs/cost.md).
        batch.update(held.reference, device, option=db.as_read(held))
    else:
        _take(batch, owner, uid, now)
        batch.set(held.reference, device)
    if ((user.to_dict() or {}).get("devices") or {}).get(installation_id) != {"token": device["token"]}:
        batch.set(user.reference, _address_entry(installation_id, device["token"]), merge=True)
    tombstones.guard(batch, uid)
    tombstones.commit(batch, uid)


def _take(batch: firestore.WriteBatch, owner: Snapshot, uid: str, now: datetime) -> None:
    """Makes `uid` the device's owner on the condition that the owner document is as read, and
    removes the device from a previous owner who still holds it. Every change to who holds a
    device writes the owner document, so the condition fails whenever one came in between."""
    claim = {"uid": uid, "updated_at": now}
    if owner.exists:
        batch.update(owner.reference, claim, option=db.as_read(owner))
    else:
        batch.create(owner.reference, claim)
    previous = (owner.to_dict() or {}).get("uid")
    if not previous or previous == uid:
        return
    installation_id = owner.id
    if device_ref(str(previous), installation_id).get().exists:
        batch.delete(device_ref(str(previous), installation_id))
        batch.update(_user_ref(str(previous)), {_mirror_field(installation_id): firestore.DELETE_FIELD})


def forget_device(uid: str, installation_id: str) -> None:
    """Signs the device out of this user: no send reaches it from now on, since the sender
    reads the mirror at send time. The ownership goes too, unless someone else holds it."""

    def release() -> None:
        owner = owner_ref(installation_id).get()
        batch = db.client().batch()
        if (owner.to_dict() or {}).get("uid") == uid:
            batch.delete(owner.reference, option=db.as_read(owner))
        batch.delete(device_ref(uid, installation_id))
        batch.set(_user_ref(uid), {"devices": {installation_id: firestore.DELETE_FIELD}}, merge=True)
        tombstones.guard(batch, uid)
        tombstones.commit(batch, uid)

    db.rerun_on_conflict(release)


def devices_in(uid: str, user: Mapping[str, Any]) -> list[Device]:
    """The devices mirrored on the users/{uid} document."""
    found = user.get("devices") or {}
    return [Device(uid, iid, (entry or {}).get("token")) for iid, entry in sorted(found.items())]


def deletions(devices: Iterable[Device]) -> list[Write]:
    """Removes each device and its mirror."""
    writes: list[Write] = []
    for d in devices:
        writes.append(deleted(device_ref(d.uid, d.installation_id)))
        # A merge on a document the account's deletion removed would recreate it.
        mirror = set_merged(_user_ref(d.uid), {"devices": {d.installation_id: firestore.DELETE_FIELD}})
        writes.append(guarded(d.uid, mirror))
    return writes


@dataclass(frozen=True)
class IdleDevice:
    device: Device
    read_version: datetime  # the device document's update time when the sweep read it


def idle_devices(now: datetime, idle_days: int) -> Iterator[list[IdleDevice]]:
    """Pages of devices not refreshed for more than `idle_days`."""
    cutoff = now - timedelta(days=idle_days)
    cursor: Snapshot | None = None
    while True:
        page = list(queries.stream(IDLE_DEVICES, db.client(), cutoff, limit=_PAGE, after=cursor))
        if not page:
            return
        yield [
            IdleDevice(Device(str(d["uid"]), str(d["installation_id"]), None), snapshot.update_time)
            for snapshot, d in ((snapshot, snapshot.to_dict() or {}) for snapshot in page)
        ]
        if len(page) < _PAGE:
            return
        cursor = page[-1]


def _idle_removal(idle: IdleDevice) -> Write:
    """Removes an idle device and its mirror in one commit, unless the device was written since the
    sweep read it: a user who registered it again meanwhile keeps it."""
    device = idle.device
    ref = device_ref(device.uid, device.installation_id)
    option = db.client().write_option(last_update_time=idle.read_version)
    mirror = guarded(
        device.uid, set_merged(_user_ref(device.uid), {"devices": {device.installation_id: firestore.DELETE_FIELD}})
    )

    def apply(batch: firestore.WriteBatch) -> None:
        batch.delete(ref, option=option)
        mirror(batch)

    return apply


def delete_idle(page: Sequence[IdleDevice]) -> int:
    """How many of `page` were removed (those refreshed since they were read are kept)."""
    return sum(apply_each([_idle_removal(idle) for idle in page]))
