"""Media through the gateway as the app plays it: the catalogue, entitlement-checked access,
and the local CDN that only serves signed URLs and cookies."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
import requests

from devstack.catalogue import write_items
from functions.content_urls.catalogue import ContentItem, Kind, Tier
from functions.content_urls.signing import COOKIE_NAME, sign_cookie, sign_url
from lib import firestore as db
from lib.config import Settings
from tests.conftest import AppUser, GatewayClient

FREE_FILE = "free/morning-breath.wav"
PREMIUM_FILE = "premium/evening-wind-down.wav"
STREAM_PLAYLIST = "premium/deep-sleep/index.m3u8"
STREAM_SEGMENTS = ["segment0.mp3", "segment1.mp3", "segment2.mp3"]

MakeItem = Callable[[Tier, Kind, str], ContentItem]


@pytest.fixture
def make_item() -> MakeItem:
    def make(tier: Tier, kind: Kind, path: str) -> ContentItem:
        item = ContentItem(id=f"t-{uuid.uuid4().hex[:12]}", title="Test item", tier=tier, kind=kind, path=path)
        write_items((item,))
        return item

    return make


def entitle(uid: str, status: str = "active") -> None:
    db.client().collection("entitlements").document(uid).set({"plan": "premium", "status": status})


def media_file(config: Settings, path: str) -> bytes:
    from gateway.cdn import LocalCdn

    return (LocalCdn(config).root / path).read_bytes()


def set_cookie_parts(response: requests.Response) -> tuple[str, dict[str, str]]:
    """The Cloud-CDN-Cookie value and its attributes (lower-cased names) from Set-Cookie."""
    first, *attributes = response.headers["Set-Cookie"].split("; ")
    name, _, value = first.partition("=")
    assert name == COOKIE_NAME
    parts = dict(a.partition("=")[::2] for a in attributes)
    return value, {k.lower(): v for k, v in parts.items()}


def with_cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE_NAME}={value}"}


def assert_permission_denied(response: requests.Response) -> None:
    assert response.status_code == 403, response.text[:200]
    assert response.json()["error"]["code"] == "permission-denied"


def test_catalogue_marks_premium_items_locked_for_a_free_user(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem
) -> None:
    free, premium = make_item("free", "file", FREE_FILE), make_item("premium", "stream", STREAM_PLAYLIST)
    response = gateway.get("/v1/content", headers=user.headers)
    assert response.status_code == 200, response.text
    listed = {i["id"]: i for i in response.json()["items"]}
    assert listed[free.id] == {"id": free.id, "title": "Test item", "tier": "free", "kind": "file", "locked": False}
    assert listed[premium.id]["locked"] is True
    assert listed[premium.id]["tier"] == "premium"


def test_catalogue_unlocks_premium_items_for_an_entitled_user(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem
) -> None:
    premium = make_item("premium", "file", PREMIUM_FILE)
    entitle(user.uid)
    listed = {i["id"]: i for i in gateway.get("/v1/content", headers=user.headers).json()["items"]}
    assert listed[premium.id]["locked"] is False


def test_catalogue_needs_a_token(gateway: GatewayClient) -> None:
    assert gateway.get("/v1/content").status_code == 401


def test_free_file_plays_from_its_signed_url(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem, config: Settings
) -> None:
    item = make_item("free", "file", FREE_FILE)
    response = gateway.post(f"/v1/content/{item.id}/access", headers=user.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["content_id"], body["kind"]) == (item.id, "file")
    assert body["url"].startswith(f"{config.gateway_url}/media/{FREE_FILE}?Expires=")
    assert "Set-Cookie" not in response.headers
    played = requests.get(body["url"], timeout=10)
    assert played.status_code == 200, played.text
    assert played.content == media_file(config, FREE_FILE)
    assert played.headers["Content-Type"] == "audio/wav"


def test_access_expires_after_the_configured_lifetime(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem, config: Settings
) -> None:
    item = make_item("free", "file", FREE_FILE)
    before = time.time()
    body = gateway.post(f"/v1/content/{item.id}/access", headers=user.headers).json()
    expires = int(body["url"].split("Expires=")[1].split("&")[0])
    assert before + config.media_url_ttl_s - 1 <= expires <= time.time() + config.media_url_ttl_s
    assert body["expires_at"].startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(expires)))


def test_premium_item_is_refused_without_an_entitlement(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem
) -> None:
    item = make_item("premium", "file", PREMIUM_FILE)
    assert_permission_denied(gateway.post(f"/v1/content/{item.id}/access", headers=user.headers))


def test_premium_item_is_refused_when_the_subscription_has_lapsed(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem
) -> None:
    item = make_item("premium", "file", PREMIUM_FILE)
    entitle(user.uid, status="canceled")
    assert_permission_denied(gateway.post(f"/v1/content/{item.id}/access", headers=user.headers))


def test_premium_file_plays_with_an_entitlement(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem, config: Settings
) -> None:
    item = make_item("premium", "file", PREMIUM_FILE)
    entitle(user.uid)
    response = gateway.post(f"/v1/content/{item.id}/access", headers=user.headers)
    assert response.status_code == 200, response.text
    played = requests.get(response.json()["url"], timeout=10)
    assert played.status_code == 200
    assert played.content == media_file(config, PREMIUM_FILE)


def test_premium_stream_sets_a_secure_httponly_cookie_for_its_folder(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem, config: Settings
) -> None:
    item = make_item("premium", "stream", STREAM_PLAYLIST)
    entitle(user.uid)
    response = gateway.post(f"/v1/content/{item.id}/access", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["url"] == f"{config.gateway_url}/media/{STREAM_PLAYLIST}"
    assert response.json()["kind"] == "stream"
    value, attributes = set_cookie_parts(response)
    assert value.startswith("URLPrefix=")
    assert attributes["path"] == "/media/premium/deep-sleep/"
    assert {"secure", "httponly", "expires"} <= set(attributes)


def test_stream_cookie_plays_the_playlist_and_every_segment(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem, config: Settings
) -> None:
    item = make_item("premium", "stream", STREAM_PLAYLIST)
    entitle(user.uid)
    response = gateway.post(f"/v1/content/{item.id}/access", headers=user.headers)
    value, _ = set_cookie_parts(response)
    playlist = requests.get(response.json()["url"], headers=with_cookie(value), timeout=10)
    assert playlist.status_code == 200, playlist.text
    assert playlist.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    segments = [line for line in playlist.text.splitlines() if line and not line.startswith("#")]
    assert segments == STREAM_SEGMENTS
    base = response.json()["url"].rpartition("/")[0]
    for name in segments:
        played = requests.get(f"{base}/{name}", headers=with_cookie(value), timeout=10)
        assert played.status_code == 200, name
        assert played.content == media_file(config, f"premium/deep-sleep/{name}")


@pytest.mark.parametrize("outside", [PREMIUM_FILE, FREE_FILE, "premium/deep-sleep-extra/index.m3u8"])
def test_stream_cookie_unlocks_nothing_outside_its_folder(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem, config: Settings, outside: str
) -> None:
    item = make_item("premium", "stream", STREAM_PLAYLIST)
    entitle(user.uid)
    value, _ = set_cookie_parts(gateway.post(f"/v1/content/{item.id}/access", headers=user.headers))
    assert_permission_denied(gateway.get(f"/media/{outside}", headers=with_cookie(value)))


def test_stream_cookie_cannot_climb_out_of_its_folder_with_dot_segments(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem
) -> None:
    item = make_item("premium", "stream", STREAM_PLAYLIST)
    entitle(user.uid)
    value, _ = set_cookie_parts(gateway.post(f"/v1/content/{item.id}/access", headers=user.headers))
    response = gateway.get("/media/premium/deep-sleep/%2e%2e/evening-wind-down.wav", headers=with_cookie(value))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not-found"


def test_unknown_content_is_404(gateway: GatewayClient, user: AppUser) -> None:
    response = gateway.post(f"/v1/content/no-such-{uuid.uuid4().hex[:8]}/access", headers=user.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not-found"


def test_media_without_a_signature_or_cookie_is_refused(gateway: GatewayClient) -> None:
    assert_permission_denied(gateway.get(f"/media/{FREE_FILE}"))


def test_expired_signed_url_is_refused(gateway: GatewayClient, config: Settings) -> None:
    key_name = config.cdn_signing_key_name
    url = sign_url(f"{config.media_base_url}/{FREE_FILE}", key_name, config.cdn_signing_keys[key_name], 1)
    assert_permission_denied(requests.get(url, timeout=10))


def test_expired_stream_cookie_is_refused(gateway: GatewayClient, config: Settings) -> None:
    key_name = config.cdn_signing_key_name
    prefix = f"{config.media_base_url}/premium/deep-sleep/"
    value = sign_cookie(prefix, key_name, config.cdn_signing_keys[key_name], int(time.time()) - 1)
    assert_permission_denied(gateway.get("/media/premium/deep-sleep/segment0.mp3", headers=with_cookie(value)))


def test_url_signed_with_a_key_the_cdn_does_not_hold_is_refused(gateway: GatewayClient, config: Settings) -> None:
    foreign_key = "AAECAwQFBgcICQoLDA0ODw=="
    url = sign_url(f"{config.media_base_url}/{FREE_FILE}", "foreign-key", foreign_key, int(time.time()) + 60)
    assert_permission_denied(requests.get(url, timeout=10))


def test_signed_url_for_one_file_does_not_open_another(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem
) -> None:
    item = make_item("free", "file", FREE_FILE)
    url = gateway.post(f"/v1/content/{item.id}/access", headers=user.headers).json()["url"]
    assert_permission_denied(requests.get(url.replace(FREE_FILE, PREMIUM_FILE), timeout=10))


@pytest.mark.parametrize("part", ["Expires=", "Signature="])
def test_tampered_signed_url_is_refused(gateway: GatewayClient, user: AppUser, make_item: MakeItem, part: str) -> None:
    item = make_item("free", "file", FREE_FILE)
    url = gateway.post(f"/v1/content/{item.id}/access", headers=user.headers).json()["url"]
    at = url.index(part) + len(part)
    tampered = url[:at] + ("2" if url[at] != "2" else "3") + url[at + 1 :]
    assert_permission_denied(requests.get(tampered, timeout=10))


def test_range_request_answers_206_with_the_requested_bytes(
    gateway: GatewayClient, user: AppUser, make_item: MakeItem, config: Settings
) -> None:
    item = make_item("free", "file", FREE_FILE)
    url = gateway.post(f"/v1/content/{item.id}/access", headers=user.headers).json()["url"]
    whole = media_file(config, FREE_FILE)
    response = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=10)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert response.content == whole[100:200]
