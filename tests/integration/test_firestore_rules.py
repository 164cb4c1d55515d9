"""firestore.rules, enforced by the Firestore emulator for requests carrying a user's ID token:
a user reads their own documents and the catalogue, and writes nothing."""

from __future__ import annotations

import pytest
import requests

from lib import firestore as db
from lib.config import Settings
from tests.conftest import AppUser, MakeUser


def _url(config: Settings, path: str) -> str:
    return (
        f"http://{config.firestore_emulator_host}/v1/projects/{config.google_cloud_project}"
        f"/databases/(default)/documents/{path}"
    )


def _get(config: Settings, user: AppUser, path: str) -> int:
    return requests.get(_url(config, path), headers=user.headers, timeout=10).status_code


def _write(config: Settings, user: AppUser, path: str) -> int:
    body = {"fields": {"plan": {"stringValue": "premium"}}}
    return requests.patch(_url(config, path), headers=user.headers, json=body, timeout=10).status_code


@pytest.fixture
def two_users(make_user: MakeUser) -> tuple[AppUser, AppUser]:
    owner, stranger = make_user(), make_user()
    client = db.client()
    for u in (owner, stranger):
        client.collection("users").document(u.uid).set({"uid": u.uid})
        client.collection("users").document(u.uid).collection("checkins").document("2026-01-01").set({"d": 1})
        client.collection("entitlements").document(u.uid).set({"plan": "free"})
    client.collection("content").document("rules-test").set({"tier": "free"})
    client.collection("stripe_events").document("evt_rules").set({"status": "done"})
    return owner, stranger


def test_a_user_reads_their_own_documents(config: Settings, two_users: tuple[AppUser, AppUser]) -> None:
    owner, _ = two_users
    assert _get(config, owner, f"users/{owner.uid}") == 200
    assert _get(config, owner, f"users/{owner.uid}/checkins/2026-01-01") == 200
    assert _get(config, owner, f"entitlements/{owner.uid}") == 200
    assert _get(config, owner, "content/rules-test") == 200


def test_a_user_reads_nobody_elses_documents(config: Settings, two_users: tuple[AppUser, AppUser]) -> None:
    owner, stranger = two_users
    assert _get(config, owner, f"users/{stranger.uid}") == 403
    assert _get(config, owner, f"users/{stranger.uid}/checkins/2026-01-01") == 403
    assert _get(config, owner, f"entitlements/{stranger.uid}") == 403
    assert _get(config, owner, "stripe_events/evt_rules") == 403


def test_a_user_writes_nothing_not_even_their_own(config: Settings, two_users: tuple[AppUser, AppUser]) -> None:
    owner, _ = two_users
    assert _write(config, owner, f"entitlements/{owner.uid}") == 403
    assert _write(config, owner, f"users/{owner.uid}") == 403
    assert _write(config, owner, "content/rules-test") == 403
    assert db.client().collection("entitlements").document(owner.uid).get().to_dict() == {"plan": "free"}


def test_an_anonymous_request_reads_nothing(config: Settings, two_users: tuple[AppUser, AppUser]) -> None:
    owner, _ = two_users
    assert requests.get(_url(config, "content/rules-test"), timeout=10).status_code == 403
    assert requests.get(_url(config, f"users/{owner.uid}"), timeout=10).status_code == 403
