"""The local FCM server's wire protocol and control endpoints, spoken to directly."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from lib.config import settings
from tests.support import reminders as reminders_support
from tests.support.reminders import Fcm

fcm = reminders_support.fcm


def send(message: dict[str, Any], **extra: Any) -> requests.Response:
    url = f"{settings().fcm_endpoint}/v1/projects/demo-wellness/messages:send"
    return requests.post(url, json={"message": message, **extra}, timeout=10)


def address() -> str:
    return f"fid{uuid.uuid4().hex[:19]}"


def test_success_answers_the_message_name_and_records_it(fcm: Fcm) -> None:
    to = address()
    response = send({"fid": to, "notification": {"title": "t", "body": "b"}, "data": {"k": "v"}})
    assert response.status_code == 200
    assert response.json()["name"].startswith("projects/demo-wellness/messages/")
    [recorded] = fcm.messages()
    assert recorded["token"] == to
    assert recorded["data"] == {"k": "v"}


def test_validate_only_is_not_recorded(fcm: Fcm) -> None:
    assert send({"fid": address()}, validate_only=True).status_code == 200
    assert fcm.messages() == []


@pytest.mark.parametrize(
    ("fault", "code", "status", "rpc_status"),
    [
        ("unregistered_tokens", "UNREGISTERED", 404, "NOT_FOUND"),
        ("invalid_tokens", "INVALID_ARGUMENT", 400, "INVALID_ARGUMENT"),
    ],
)
def test_per_token_fault_answers_fcms_error_body(fcm: Fcm, fault: str, code: str, status: int, rpc_status: str) -> None:
    to = address()
    fcm.faults(**{fault: [to]})
    response = send({"fid": to})
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (status, rpc_status)
    assert {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code} in error["details"]


@pytest.mark.parametrize(
    ("code", "status", "retry_after"),
    [("QUOTA_EXCEEDED", 429, "3"), ("UNAVAILABLE", 503, "3"), ("INTERNAL", 500, None)],
)
def test_server_side_errors_carry_retry_after_when_fcm_does(
    fcm: Fcm, code: str, status: int, retry_after: str | None
) -> None:
    to = address()
    fcm.faults(token_errors={to: code}, retry_after_s=3)
    response = send({"fid": to})
    assert response.status_code == status
    assert response.headers.get("Retry-After") == retry_after
    assert response.json()["error"]["details"][0]["errorCode"] == code


def test_message_without_recipient_is_invalid_argument(fcm: Fcm) -> None:
    response = send({"notification": {"title": "t"}})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Recipient of the message is not set."


def test_rate_limit_answers_429_beyond_max_per_second(fcm: Fcm) -> None:
    fcm.faults(max_per_second=3)
    statuses = [send({"fid": address()}).status_code for _ in range(10)]
    assert statuses.count(429) >= 1
    assert statuses.count(200) == len(fcm.messages())


def test_random_faults_follow_their_rates(fcm: Fcm) -> None:
    fcm.faults(rate_429=1.0)
    assert send({"fid": address()}).status_code == 429
    fcm.faults(rate_503=1.0)
    assert send({"fid": address()}).status_code == 503


def test_messages_filter_by_token_and_forget(fcm: Fcm) -> None:
    first, second = address(), address()
    send({"fid": first})
    send({"token": second})
    response = requests.get(f"{settings().fcm_endpoint}/_local/messages", params={"token": second}, timeout=10)
    assert [m["token"] for m in response.json()["messages"]] == [second]
    requests.delete(f"{settings().fcm_endpoint}/_local/messages", timeout=10)
    assert fcm.messages() == []


def test_bad_faults_are_400(fcm: Fcm) -> None:
    response = requests.put(f"{settings().fcm_endpoint}/_local/faults", json={"rate_429": 2}, timeout=10)
    assert response.status_code == 400
