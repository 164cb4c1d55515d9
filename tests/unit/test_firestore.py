"""Firestore calls under a request deadline: each gets the time left as its timeout and its
retries' limit, and none is made once the deadline has passed; outside a deadline nothing changes."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.api_core.gapic_v1.method import DEFAULT
from google.api_core.retry import Retry

from lib import deadline, errors, firestore

AMPLE_S = 30.0


class RecordingRpc:
    """A stand-in for a wrapped GAPIC method: records the retry and timeout it is called with."""

    def __init__(self) -> None:
        self._retry = Retry(timeout=60.0)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        self.calls.append(kwargs)
        return "answer"


def test_outside_a_deadline_a_call_keeps_the_client_defaults() -> None:
    rpc = RecordingRpc()
    assert firestore.within_request_deadline(rpc)("request") == "answer"
    assert rpc.calls == [{"retry": DEFAULT, "timeout": DEFAULT}]


def test_under_a_deadline_a_call_and_its_retries_end_by_the_deadline() -> None:
    rpc = RecordingRpc()
    assert deadline.run_within(AMPLE_S, lambda: firestore.within_request_deadline(rpc)("request")) == "answer"
    [call] = rpc.calls
    assert 0 < call["timeout"] <= AMPLE_S
    assert 0 < call["retry"].timeout <= AMPLE_S


def test_an_explicit_shorter_timeout_is_kept_under_a_deadline() -> None:
    rpc = RecordingRpc()
    deadline.run_within(AMPLE_S, lambda: firestore.within_request_deadline(rpc)("request", retry=None, timeout=2.0))
    assert rpc.calls == [{"retry": None, "timeout": 2.0}]


def test_a_handler_past_its_deadline_makes_no_more_calls() -> None:
    rpc = RecordingRpc()
    answered, ended = threading.Event(), threading.Event()
    outcome: list[str] = []

    def late_handler() -> None:
        answered.wait(AMPLE_S)
        try:
            firestore.within_request_deadline(rpc)("request")
        except gexc.DeadlineExceeded:
            outcome.append("refused")
        finally:
            ended.set()

    with pytest.raises(errors.Unavailable):
        deadline.run_within(0.1, late_handler)
    answered.set()
    assert ended.wait(AMPLE_S)
    assert (outcome, rpc.calls) == (["refused"], [])


def test_the_client_makes_no_read_query_or_transaction_once_the_request_deadline_has_passed() -> None:
    client = firestore.client()
    with deadline.expiring(0.0):
        with pytest.raises(gexc.DeadlineExceeded):
            client.collection("users").document("nobody").get()
        with pytest.raises(gexc.DeadlineExceeded):
            list(client.collection("users").limit(1).stream())
        with pytest.raises(errors.Unavailable):
            firestore.run_transaction(lambda transaction: None)
