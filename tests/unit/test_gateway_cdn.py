"""gateway/cdn: the local CDN's decisions, on a temporary media folder (no server)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from functions.content_urls.signing import COOKIE_NAME, sign_cookie, sign_url
from gateway.cdn import LocalCdn
from lib.config import Settings

KEY = "bG9jYWwtY2RuLWtleS0xNg=="
BASE = "http://cdn.test/media"


@pytest.fixture
def cdn(tmp_path: Path) -> LocalCdn:
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "seg.ts").write_bytes(b"s1-segment")
    (tmp_path / "s2").mkdir()
    (tmp_path / "s2" / "seg.ts").write_bytes(b"s2-segment")
    (tmp_path / "s1" / "escape.ts").symlink_to(tmp_path.parent)
    return LocalCdn(Settings(cdn_keys=f"k:{KEY}", cdn_signing_key_name="k", media_dir=str(tmp_path)))


def get(cdn: LocalCdn, url: str, *cookies: str) -> tuple[int, bytes]:
    headers = {"Cookie": "; ".join(f"{COOKIE_NAME}={c}" for c in cookies)} if cookies else {}
    request = Request(
        EnvironBuilder(url.removeprefix("http://cdn.test"), "http://cdn.test", headers=headers).get_environ()
    )
    response = cdn(request, request.path.removeprefix("/media/"))
    response.direct_passthrough = False
    try:
        return response.status_code, response.get_data()
    finally:
        response.close()


def cookie_for(folder: str) -> str:
    return sign_cookie(f"{BASE}/{folder}/", "k", KEY, int(time.time()) + 60)


def test_any_of_several_cookies_may_unlock_a_request(cdn: LocalCdn) -> None:
    assert get(cdn, f"{BASE}/s2/seg.ts", cookie_for("s1"), cookie_for("s2")) == (200, b"s2-segment")


def test_cookies_for_other_folders_unlock_nothing(cdn: LocalCdn) -> None:
    assert get(cdn, f"{BASE}/s2/seg.ts", cookie_for("s1"))[0] == 403


def test_signed_url_serves_the_file(cdn: LocalCdn) -> None:
    url = sign_url(f"{BASE}/s1/seg.ts", "k", KEY, int(time.time()) + 60)
    assert get(cdn, url) == (200, b"s1-segment")


def test_missing_file_with_a_valid_signature_is_404(cdn: LocalCdn) -> None:
    url = sign_url(f"{BASE}/s1/nothing.ts", "k", KEY, int(time.time()) + 60)
    assert get(cdn, url)[0] == 404


def test_symlink_out_of_the_media_folder_is_not_served(cdn: LocalCdn) -> None:
    assert get(cdn, f"{BASE}/s1/escape.ts", cookie_for("s1"))[0] == 404
