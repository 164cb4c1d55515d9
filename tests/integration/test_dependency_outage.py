"""A dependency that stops answering: with the Firestore or the Auth emulator frozen (SIGSTOP)
while a few users call the app routes through the gateway, every call still answers, 200 or 503
`unavailable` with Retry-After, within a client timeout well above the app deadline, never 500;
once the emulator runs again (SIGCONT) the calls succeed again, and every check-in answered 2xx
is stored."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import requests

from devstack.stack import Stack
from lib.config import Settings
from tests.conftest import AppUser, MakeUser
from tests.support.documents import checkin_days
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

USERS = 3
# Above the app deadline (APP_DEADLINE_S, 8 s) by more than a loaded machine adds to an answer,
# well under URLSession's 60 s.
CLIENT_TIMEOUT_S = 14.0
# Longer than the client timeout: a call that waits for the frozen dependency fails the test.
FROZEN_S = 16.0
# Each user's steady pace; a user makes at most MAX_CALLS calls while the dependency is frozen.
PACE_S = 0.5
MAX_CALLS = 40
REMINDER = {"enabled": True, "local_time": "08:30", "timezone": "UTC"}
CALLS = (("GET", "/v1/me", None), ("POST", "/v1/checkins", {}), ("PUT", "/v1/reminder", REMINDER))


@dataclass(frozen=True)
class Answer:
    path: str
    status: int | None
    code: str | None = None
    retry_after: str | None = None
    local_date: str | None = None
    failure: str | None = None

    @property
    def acceptable(self) -> bool:
        """200, or 503 `unavailable` with a Retry-After: what the app knows to wait for and retry."""
        if self.status == 200:
            return True
        return self.status == 503 and self.code == "unavailable" and bool(self.retry_after)


def _call(session: requests.Session, base_url: str, user: AppUser, method: str, path: str, body: object) -> Answer:
    try:
        response = session.request(method, base_url + path, json=body, headers=user.headers, timeout=CLIENT_TIMEOUT_S)
    except requests.RequestException as exc:
        return Answer(path, None, failure=type(exc).__name__)
    payload = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
    error = payload.get("error") if isinstance(payload, dict) else None
    return Answer(
        path,
        response.status_code,
        code=error.get("code") if isinstance(error, dict) else None,
        retry_after=response.headers.get("Retry-After"),
        local_date=payload.get("local_date") if path == "/v1/checkins" and response.ok else None,
    )


def _steady_calls(base_url: str, user: AppUser, stop: threading.Event) -> list[Answer]:
    """The user's calls in turn, one at a time at a steady pace, until `stop` (or MAX_CALLS)."""
    answers: list[Answer] = []
    with requests.Session() as session:
        while not stop.is_set() and len(answers) < MAX_CALLS:
            method, path, body = CALLS[len(answers) % len(CALLS)]
            answers.append(_call(session, base_url, user, method, path, body))
            stop.wait(PACE_S)
    return answers


@contextmanager
def frozen(stack: Stack, piece: str) -> Iterator[None]:
    """The piece's whole process group stopped (the emulator's JVM or node included), and always
    continued again."""
    group = stack.process(piece).pid
    os.killpg(group, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(group, signal.SIGCONT)


def _each_succeeds(base_url: str, users: list[AppUser]) -> dict[str, list[Answer]] | None:
    """Each user's answers to one round of the calls, when every one is a 200."""
    with requests.Session() as session:
        answers = {user.uid: [_call(session, base_url, user, *call) for call in CALLS] for user in users}
    return answers if all(a.status == 200 for round_ in answers.values() for a in round_) else None


@pytest.mark.parametrize("piece", ["firestore", "auth"])
def test_app_calls_answer_while_a_dependency_is_frozen_and_recover_after(
    stack: Stack, config: Settings, make_user: MakeUser, piece: str
) -> None:
    users = [make_user(f"Outage {n}") for n in range(USERS)]
    # Profiles created and every function process warm before the freeze.
    before = wait_for(lambda: _each_succeeds(config.gateway_url, users), "the calls to succeed before the freeze", 60)

    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=USERS) as pool, frozen(stack, piece):
        running = {user.uid: pool.submit(_steady_calls, config.gateway_url, user, stop) for user in users}
        stop.wait(FROZEN_S)
        stop.set()
        during = {uid: future.result() for uid, future in running.items()}

    answered = [a for answers in during.values() for a in answers]
    assert [a for a in answered if not a.acceptable] == []
    assert any(a.status == 503 for a in answered), f"no call noticed the frozen {piece}"

    after = wait_for(lambda: _each_succeeds(config.gateway_url, users), f"the calls to succeed once {piece} runs", 60)
    for user in users:
        acknowledged = {a.local_date for a in [*before[user.uid], *during[user.uid], *after[user.uid]] if a.local_date}
        assert acknowledged <= set(checkin_days(user.uid))
