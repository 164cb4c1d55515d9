"""functions/content_urls/access and catalogue: who may play what, and what they get (no server)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from functions.content_urls.access import Signer, catalogue_for, grant, is_locked
from functions.content_urls.catalogue import ContentItem
from functions.content_urls.signing import Verdict, verify
from lib import errors

KEY = "bG9jYWwtY2RuLWtleS0xNg=="
SIGNER = Signer(base_url="https://media.example.com/media", key_name="k1", key_b64=KEY, ttl_s=600)
NOW = 1_800_000_000

FREE_FILE = ContentItem(id="a", title="A", tier="free", kind="file", path="free/a.mp3")
PREMIUM_FILE = ContentItem(id="b", title="B", tier="premium", kind="file", path="premium/b.mp3")
PREMIUM_STREAM = ContentItem(id="c", title="C", tier="premium", kind="stream", path="premium/c/index.m3u8")


@pytest.mark.parametrize(
    ("item", "plan", "locked"),
    [
        (FREE_FILE, "free", False),
        (FREE_FILE, "premium", False),
        (PREMIUM_FILE, "free", True),
        (PREMIUM_FILE, "premium", False),
    ],
)
def test_only_premium_items_lock_and_only_for_the_free_plan(item: ContentItem, plan: str, locked: bool) -> None:
    assert is_locked(item, plan) is locked


def test_catalogue_lists_each_item_with_its_lock() -> None:
    listed = catalogue_for([FREE_FILE, PREMIUM_STREAM], "free").model_dump()
    assert listed == {
        "items": [
            {"id": "a", "title": "A", "tier": "free", "kind": "file", "locked": False},
            {"id": "c", "title": "C", "tier": "premium", "kind": "stream", "locked": True},
        ]
    }


def test_locked_item_is_refused_with_permission_denied() -> None:
    with pytest.raises(errors.PermissionDenied):
        grant(PREMIUM_FILE, "free", SIGNER, NOW)


def test_file_grant_is_a_signed_url_valid_for_the_lifetime() -> None:
    granted = grant(FREE_FILE, "free", SIGNER, NOW)
    assert granted.cookie is None
    assert granted.access.expires_at == datetime.fromtimestamp(NOW + 600, UTC)
    assert granted.access.url.startswith("https://media.example.com/media/free/a.mp3?Expires=1800000600&KeyName=k1&")
    keys = {"k1": KEY}
    assert verify(granted.access.url, keys, NOW + 599) is Verdict.VALID
    assert verify(granted.access.url, keys, NOW + 600) is Verdict.EXPIRED


def test_stream_grant_is_the_playlist_url_and_a_cookie_for_its_folder() -> None:
    granted = grant(PREMIUM_STREAM, "premium", SIGNER, NOW)
    assert granted.access.url == "https://media.example.com/media/premium/c/index.m3u8"
    assert granted.cookie is not None
    assert granted.cookie.path == "/media/premium/c/"
    keys = {"k1": KEY}
    segment = "https://media.example.com/media/premium/c/seg7.ts"
    assert verify(segment, keys, NOW, cookie=granted.cookie.value) is Verdict.VALID
    outside = "https://media.example.com/media/premium/cc/seg7.ts"
    assert verify(outside, keys, NOW, cookie=granted.cookie.value) is Verdict.OUTSIDE_PREFIX


@pytest.mark.parametrize("path", ["../x.mp3", "a/../b.mp3", "a//b.mp3", "/abs.mp3", "a/./b.mp3", "a b.mp3", ""])
def test_item_path_must_be_a_plain_relative_object_path(path: str) -> None:
    with pytest.raises(ValidationError):
        ContentItem(id="x", title="X", tier="free", kind="file", path=path)


def test_stream_playlist_must_sit_in_its_own_folder() -> None:
    with pytest.raises(ValidationError, match="own folder"):
        ContentItem(id="x", title="X", tier="free", kind="stream", path="index.m3u8")


@pytest.mark.parametrize("tier", ["gold", ""])
def test_unknown_tier_is_refused(tier: str) -> None:
    with pytest.raises(ValidationError):
        ContentItem.model_validate({"id": "x", "title": "X", "tier": tier, "kind": "file", "path": "a.mp3"})
