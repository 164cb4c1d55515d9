"""deploy/url_map.py: Google's URL-map semantics on a hand-written map."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.url_map import bucket_object, resolve, template_pattern


def _rule(priority: int, service: str, **match: str) -> dict[str, Any]:
    kinds = {"full_path_match": None, "path_template_match": None, "prefix_match": None}
    return {"priority": priority, "service": service, "match_rules": [kinds | match]}


URL_MAP: dict[str, Any] = {
    "default_service": "function:other-host",
    "host_rules": [
        {"hosts": ["api.example.com"], "path_matcher": "api"},
        {"hosts": ["*.cdn.example.com"], "path_matcher": "cdn"},
    ],
    "path_matchers": {
        "api": {
            "default_service": "function:fallback",
            # Listed out of priority order: the priority decides, not the position.
            "route_rules": [
                _rule(1000, "bucket:media", prefix_match="/media/"),
                _rule(20, "function:device", path_template_match="/v1/devices/{installation_id=*}"),
                _rule(10, "function:me", full_path_match="/v1/me"),
                _rule(5, "function:special", full_path_match="/media/special"),
                _rule(30, "function:files", path_template_match="/files/{rest=**}"),
            ],
        },
        "cdn": {"default_service": "bucket:media", "route_rules": []},
    },
}


@pytest.mark.parametrize(
    ("host", "path", "backend"),
    [
        ("api.example.com", "/v1/me", "function:me"),
        ("api.example.com", "/v1/me?x=1", "function:me"),
        ("API.example.com:443", "/v1/me", "function:me"),
        ("api.example.com", "/v1/me/", "function:fallback"),
        ("api.example.com", "/V1/ME", "function:fallback"),
        ("api.example.com", "/v1/devices/install-1", "function:device"),
        ("api.example.com", "/v1/devices/", "function:fallback"),
        ("api.example.com", "/v1/devices/a/b", "function:fallback"),
        ("api.example.com", "/files/a/b/c", "function:files"),
        ("api.example.com", "/media/premium/a.wav", "bucket:media"),
        ("api.example.com", "/media/special", "function:special"),
        ("api.example.com", "/media", "function:fallback"),
        ("api.example.com", "/", "function:fallback"),
        ("eu.cdn.example.com", "/v1/me", "bucket:media"),
        ("203.0.113.7", "/v1/me", "function:other-host"),
    ],
)
def test_resolve_follows_host_rules_priorities_and_defaults(host: str, path: str, backend: str) -> None:
    assert resolve(URL_MAP, host, path) == backend


@pytest.mark.parametrize(
    ("template", "path", "matches"),
    [
        ("/v1/content/{content_id=*}/access", "/v1/content/abc/access", True),
        ("/v1/content/{content_id}/access", "/v1/content/abc/access", True),
        ("/v1/content/*/access", "/v1/content/abc/access", True),
        ("/v1/content/{content_id=*}/access", "/v1/content/a/b/access", False),
        ("/v1/content/{content_id=*}/access", "/v1/content//access", False),
        ("/v1/content/{content_id=*}/access", "/v1/content/abc/access/more", False),
        ("/v1/c.n/{x=*}", "/v1/cxn/1", False),
        ("/media/**", "/media/a/b.mp3", True),
        ("/media/{path=**}", "/media/", True),
    ],
)
def test_path_templates_match_one_segment_per_variable_and_the_rest_for_double_star(
    template: str, path: str, matches: bool
) -> None:
    assert (template_pattern(template).fullmatch(path) is not None) is matches


def test_double_star_must_be_the_last_operator() -> None:
    with pytest.raises(ValueError, match="last operator"):
        template_pattern("/a/**/b/*")


def test_a_match_rule_with_two_path_matches_is_refused() -> None:
    rule = _rule(1, "x", full_path_match="/a")
    rule["match_rules"][0]["prefix_match"] = "/a"
    broken = {**URL_MAP, "path_matchers": {"api": {"default_service": "x", "route_rules": [rule]}}}
    with pytest.raises(ValueError, match="exactly one"):
        resolve(broken, "api.example.com", "/a")


def test_a_backend_bucket_is_asked_for_the_path_without_its_leading_slash() -> None:
    assert bucket_object("/media/premium/a.wav?Expires=1&KeyName=k&Signature=s") == "media/premium/a.wav"
