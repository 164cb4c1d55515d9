"""The local Google Play refuses what Google refuses, in Google's shapes: driven in process
through its WSGI app (the stack tests drive it through google-api-python-client)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from google.auth import crypt, jwt
from werkzeug.test import Client

from devstack.google_play_key import service_account_key
from devstack.google_play_push import Issuer, Pusher
from devstack.google_play_server import GRANT_AUDIENCE, GooglePlay, GooglePlayApp

PACKAGE = "com.example.wellness.local"
API = f"/androidpublisher/v3/applications/{PACKAGE}/purchases"


@pytest.fixture(scope="module")
def key() -> str:
    return service_account_key("http://127.0.0.1:1")


@pytest.fixture
def play(key: str) -> GooglePlay:
    return GooglePlay(PACKAGE, key, Pusher(Issuer(), "http://127.0.0.1:1/google-play/notifications", "push@x"))


def _assertion(key: str) -> str:
    """The assertion google-auth's service-account credentials post to the token endpoint."""
    info = json.loads(key)
    signer = crypt.RSASigner.from_service_account_info(info)
    now = int(time.time())
    claims = {"iss": info["client_email"], "aud": GRANT_AUDIENCE, "scope": "s", "iat": now, "exp": now + 600}
    return str(jwt.encode(signer, claims).decode())


def _grant(client: Client, assertion: str) -> Any:
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    return client.post("/token", data=form)


def _bearer(client: Client, key: str) -> dict[str, str]:
    answer = _grant(client, _assertion(key))
    assert answer.status_code == 200
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def test_an_assertion_signed_by_another_key_gets_no_token(play: GooglePlay) -> None:
    other = service_account_key("http://127.0.0.1:2")
    answer = _grant(Client(GooglePlayApp(play)), _assertion(other))
    assert (answer.status_code, answer.json["error"]) == (400, "invalid_grant")


def test_the_api_without_a_valid_bearer_token_is_401_in_googles_shape(play: GooglePlay) -> None:
    token = play.purchases.buy("premium_monthly", None, pending=False, linked_token=None).token
    client = Client(GooglePlayApp(play))
    for headers in ({}, {"Authorization": "Bearer ya29.not-issued"}):
        answer = client.get(f"{API}/subscriptionsv2/tokens/{token}", headers=headers)
        assert (answer.status_code, answer.json["error"]["status"]) == (401, "UNAUTHENTICATED")


def test_unknown_tokens_other_packages_and_long_expired_purchases_are_googles_errors(
    play: GooglePlay, key: str
) -> None:
    client = Client(GooglePlayApp(play))
    bearer = _bearer(client, key)
    purchase = play.purchases.buy("premium_monthly", None, pending=False, linked_token=None)
    other_package = API.replace(PACKAGE, "com.other.app")
    assert client.get(f"{API}/subscriptionsv2/tokens/nope", headers=bearer).status_code == 400
    assert client.get(f"{other_package}/subscriptionsv2/tokens/{purchase.token}", headers=bearer).status_code == 404
    play.purchases.move(purchase.token, "expire")
    play.clock.offset += timedelta(days=61)
    gone = client.get(f"{API}/subscriptionsv2/tokens/{purchase.token}", headers=bearer)
    assert (gone.status_code, gone.json["error"]["status"]) == (410, "GONE")


def test_acknowledging_another_product_or_an_unpaid_purchase_is_refused(play: GooglePlay, key: str) -> None:
    client = Client(GooglePlayApp(play))
    bearer = _bearer(client, key)
    paid = play.purchases.buy("premium_monthly", None, pending=False, linked_token=None).token
    pending = play.purchases.buy("premium_monthly", None, pending=True, linked_token=None).token
    assert client.post(f"{API}/subscriptions/other/tokens/{paid}:acknowledge", headers=bearer).status_code == 400
    refused = client.post(f"{API}/subscriptions/premium_monthly/tokens/{pending}:acknowledge", headers=bearer)
    assert (refused.status_code, refused.json["error"]["status"]) == (400, "FAILED_PRECONDITION")
    done = client.post(f"{API}/subscriptions/premium_monthly/tokens/{paid}:acknowledge", headers=bearer)
    assert done.status_code == 200
    assert play.purchases.get(paid).resource()["acknowledgementState"] == "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED"


def test_only_a_paid_purchase_unacknowledged_for_three_days_is_due_for_refund(play: GooglePlay) -> None:
    buy = play.purchases.buy
    unacknowledged = buy("premium_monthly", None, pending=False, linked_token=None)
    acknowledged = buy("premium_monthly", None, pending=False, linked_token=None)
    acknowledged.acknowledged = True
    buy("premium_monthly", None, pending=True, linked_token=None)
    play.clock.offset += timedelta(days=3) - timedelta(seconds=1)
    assert play.purchases.unacknowledged_past_deadline() == []
    play.clock.offset += timedelta(seconds=1)
    assert play.purchases.unacknowledged_past_deadline() == [unacknowledged]


def test_an_upgrade_expires_the_purchase_it_links(play: GooglePlay) -> None:
    old = play.purchases.buy("premium_monthly", None, pending=False, linked_token=None)
    new = play.purchases.buy("premium_yearly", None, pending=False, linked_token=old.token)
    assert old.state == "SUBSCRIPTION_STATE_EXPIRED"
    assert new.resource()["linkedPurchaseToken"] == old.token
