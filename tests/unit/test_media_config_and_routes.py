"""The CDN key settings (lib/config) and the `{x*}` path parameter of the route table (lib/routing)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lib.config import Settings
from lib.routing import Route

KEY_A = "bG9jYWwtY2RuLWtleS0xNg=="
KEY_B = "AAECAwQFBgcICQoLDA0ODw=="


def test_several_cdn_keys_are_valid_at_once_for_rotation() -> None:
    config = Settings(cdn_keys=f"old:{KEY_A}, new:{KEY_B}", cdn_signing_key_name="new")
    assert config.cdn_signing_keys == {"old": KEY_A, "new": KEY_B}


@pytest.mark.parametrize(
    "keys", ["", "nokey", f"bad name:{KEY_A}", "short:c2hvcnQ=", "notb64:!!!!", f"k:{KEY_A},k2:YWJj"]
)
def test_malformed_cdn_keys_are_refused_at_start_up(keys: str) -> None:
    with pytest.raises(ValidationError, match="cdn_keys"):
        Settings(cdn_keys=keys, cdn_signing_key_name="k")


def test_signing_key_must_be_one_of_the_keys() -> None:
    with pytest.raises(ValidationError, match="cdn_signing_key_name"):
        Settings(cdn_keys=f"a:{KEY_A}", cdn_signing_key_name="b")


def test_media_is_served_by_the_local_gateway_unless_a_cdn_url_is_set() -> None:
    assert Settings(gateway_port=8123).media_base_url == "http://127.0.0.1:8123/media"
    assert Settings(cdn_base_url="https://cdn.example.com/media/").media_base_url == "https://cdn.example.com/media"


def _route(path: str) -> Route:
    return Route("r", "GET", path, "f", "e", "none", "none", "summary")


def test_star_parameter_matches_the_rest_of_the_path() -> None:
    route = _route("/media/{path*}")
    assert (route.werkzeug_rule, route.template, route.path_params) == ("/media/<path:path>", "/media/{path}", ["path"])


def test_plain_parameter_still_matches_one_segment() -> None:
    route = _route("/v1/content/{content_id}/access")
    assert route.werkzeug_rule == "/v1/content/<content_id>/access"
    assert route.template == route.path
    assert route.path_params == ["content_id"]
