"""lib.push through firebase-admin against the local FCM server: both addressing modes and
what each FCM answer means."""

from __future__ import annotations

import uuid

from lib import push
from lib.push import Delivery
from lib.push_address import Address
from tests.support import reminders as reminders_support
from tests.support.reminders import Fcm

fcm = reminders_support.fcm


def fid() -> str:
    return f"fid{uuid.uuid4().hex[:19]}"


def one(address: Address) -> push.Outcome:
    return push.send_each([push.message(address, "Title", "Body", {"kind": "test"})])[0]


def test_device_without_token_is_sent_by_installation_id(fcm: Fcm) -> None:
    address = Address(fid=fid())
    assert one(address) == push.Outcome(Delivery.SENT)
    [received] = fcm.messages()
    assert (received["token"], received["addressed_by"]) == (address.fid, "fid")
    assert received["notification"] == {"title": "Title", "body": "Body"}
    assert received["data"] == {"kind": "test"}


def test_device_with_legacy_token_is_sent_by_token(fcm: Fcm) -> None:
    address = Address(fid=fid(), token=f"legacy-{uuid.uuid4().hex}")
    assert one(address).delivery is Delivery.SENT
    [received] = fcm.messages()
    assert (received["token"], received["addressed_by"]) == (address.token, "token")


def test_unregistered_address_is_dead(fcm: Fcm) -> None:
    address = Address(fid=fid())
    fcm.faults(unregistered_tokens=[address.fid])
    assert one(address).delivery is Delivery.DEAD_ADDRESS
    assert fcm.messages() == []


def test_invalid_token_is_dead(fcm: Fcm) -> None:
    address = Address(fid=fid(), token="not-a-token")
    fcm.faults(invalid_tokens=["not-a-token"])
    assert one(address).delivery is Delivery.DEAD_ADDRESS


def test_quota_exceeded_is_retryable_with_fcms_retry_after(fcm: Fcm) -> None:
    # firebase-admin itself retries a 429 that carries Retry-After (urllib3 honours it) before
    # giving up; the outcome is what is left after those retries.
    address = Address(fid=fid())
    fcm.faults(token_errors={address.fid: "QUOTA_EXCEEDED"}, retry_after_s=1)
    outcome = one(address)
    assert (outcome.delivery, outcome.error_code, outcome.retry_after_s) == (Delivery.RETRY, "RESOURCE_EXHAUSTED", 1)


def test_persistent_internal_error_is_retryable(fcm: Fcm) -> None:
    address = Address(fid=fid())
    fcm.faults(token_errors={address.fid: "INTERNAL"})
    assert one(address).delivery is Delivery.RETRY
