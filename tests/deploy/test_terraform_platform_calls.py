"""What Google is given, from Terraform's evaluated locals: the URL each blocking trigger, scheduler
job and load-balancer rule sends a request to, and the object a signed media URL asks the bucket
for. The resources take exactly these locals (checked on the HCL), so what is evaluated here is
what is registered; tests/slow/test_production_start.py sends these requests.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from deploy import url_map
from functions.content_urls import access
from functions.content_urls.catalogue import ContentItem
from lib import entitlements
from lib.config import Settings
from lib.routing import ROUTES_FILE
from tests.support import terraform as tf
from tests.support.cdn import cookie_url_prefix

DOMAIN = tf.DEPLOYMENT_STAND_INS["domain"]
# Paths no route names, and the internal ones: none may reach anything but the fallback function.
UNROUTED = ["/", "/nope", "/v1/unknown", "/internal/x", "/internal/reminders/tick", "/internal/auth/before-create"]


def _rows() -> list[dict[str, Any]]:
    return [r for r in yaml.safe_load(ROUTES_FILE.read_text())["routes"] if r["function"] != "gateway"]


def _concrete(path: str) -> str:
    """A request path for a route path: each `{x}` filled with one segment."""
    return "/".join("some-id" if part.startswith("{") else part for part in path.split("/"))


# --- the resources take the locals -------------------------------------------------------------


def test_identity_platform_registers_exactly_the_evaluated_triggers(resources: dict[Any, Any]) -> None:
    triggers = resources[("google_identity_platform_config", "auth")]["blocking_functions"][0]["dynamic"][0]["triggers"]
    assert triggers["for_each"] == "${local.blocking_triggers}"
    assert triggers["content"][0] == {
        "event_type": "${triggers.value.event_type}",
        "function_uri": "${triggers.value.function_uri}",
    }


def test_scheduler_jobs_call_exactly_the_evaluated_targets(resources: dict[Any, Any]) -> None:
    target = resources[("google_cloud_scheduler_job", "job")]["http_target"][0]
    own = "local.scheduler_targets[each.key]"
    assert {k: v for k, v in target.items() if k != "oidc_token"} == {
        "http_method": f"${{{own}.http_method}}",
        "uri": f"${{{own}.uri}}",
        "headers": f"${{{own}.headers}}",
        "body": f"${{base64encode({own}.body)}}",
    }
    assert target["oidc_token"][0] == {
        "service_account_email": f"${{{own}.service_account}}",
        "audience": f"${{{own}.oidc_audience}}",
    }


def test_the_url_map_is_exactly_the_evaluated_one(resources: dict[Any, Any]) -> None:
    api = resources[("google_compute_url_map", "api")]
    assert api["default_service"] == "${local.backend_ids[local.url_map.default_service]}"
    host_rule, path_matcher = (api["dynamic"][0]["host_rule"], api["dynamic"][1]["path_matcher"])
    assert host_rule["for_each"] == "${local.url_map.host_rules}"
    assert host_rule["content"][0] == {
        "hosts": "${host_rule.value.hosts}",
        "path_matcher": "${host_rule.value.path_matcher}",
    }
    assert path_matcher["for_each"] == "${local.url_map.path_matchers}"
    matcher = path_matcher["content"][0]
    assert matcher["name"] == "${path_matcher.key}"
    assert matcher["default_service"] == "${local.backend_ids[path_matcher.value.default_service]}"
    route_rules = matcher["dynamic"][0]["route_rules"]
    assert route_rules["for_each"] == "${path_matcher.value.route_rules}"
    rule = route_rules["content"][0]
    assert (rule["priority"], rule["service"]) == (
        "${route_rules.value.priority}",
        "${local.backend_ids[route_rules.value.service]}",
    )
    match_rules = rule["dynamic"][0]["match_rules"]
    assert match_rules["for_each"] == "${route_rules.value.match_rules}"
    assert match_rules["content"][0] == {
        "full_path_match": "${match_rules.value.full_path_match}",
        "path_template_match": "${match_rules.value.path_template_match}",
        "prefix_match": "${match_rules.value.prefix_match}",
    }
    assert set(api) <= {"name", "default_service", "dynamic", "lifecycle"}


def test_backend_names_are_the_functions_backend_services_and_the_media_bucket() -> None:
    locals_ = tf.locals_as_parsed()["backend_ids"]
    text = str(locals_)
    assert '"function:${key}" => google_compute_backend_service.fn[key].id' in text
    assert '"bucket:media" = google_compute_backend_bucket.media.id' in text


def test_functions_keep_the_evaluated_minimum_instances(resources: dict[Any, Any]) -> None:
    service = resources[("google_cloudfunctions2_function", "fn")]["service_config"][0]
    assert service["min_instance_count"] == "${local.function_config[each.key].min_instances}"


# --- Identity Platform ---------------------------------------------------------------------------


def test_each_blocking_trigger_posts_to_its_route_on_its_run_app_url(repository: Any) -> None:
    triggers = repository["blocking_triggers"]
    rows = {f"{r['function']}-{r['entry_point']}": r for r in _rows() if r["auth"] == "identity_platform"}
    assert set(triggers) == set(rows) == set(repository["blocking_functions"])
    for key, trigger in triggers.items():
        uri = urlsplit(trigger["function_uri"])
        assert f"{uri.scheme}://{uri.netloc}" == repository["function_urls"][key]
        assert uri.path == rows[key]["path"]
        assert trigger["event_type"] == repository["blocking_functions"][key]


def test_blocking_functions_keep_a_warm_instance_for_identity_platforms_7_seconds(repository: Any) -> None:
    for key, function in repository["functions"].items():
        expected = 1 if function["access"] == "identity_platform" else 0
        assert repository["function_config"][key]["min_instances"] == expected, key


# --- Cloud Scheduler -----------------------------------------------------------------------------


def test_each_scheduler_job_posts_to_its_route_with_the_audience_and_account_its_function_accepts(
    repository: Any,
) -> None:
    targets = repository["scheduler_targets"]
    assert set(targets) == set(repository["scheduled"])
    for name, target in targets.items():
        key = repository["scheduled"][name]["function"]
        env = repository["function_env"][key]
        uri = urlsplit(target["uri"])
        assert f"{uri.scheme}://{uri.netloc}" == repository["function_urls"][key]
        assert uri.path == repository["scheduled"][name]["path"]
        assert target["oidc_audience"] == env["INTERNAL_AUDIENCE"]
        assert target["service_account"] in env["INTERNAL_CALLERS"].split(",")
        assert (target["http_method"], target["headers"]["Content-Type"], target["body"]) == (
            "POST",
            "application/json",
            "{}",
        )


# --- load balancer and CDN -----------------------------------------------------------------------


def test_app_routes_reach_their_function_through_the_load_balancer(repository: Any) -> None:
    for row in _rows():
        if row["auth"] in tf.APP_AUTH:
            key = f"{row['function']}-{row['entry_point']}"
            assert url_map.resolve(repository["url_map"], DOMAIN, _concrete(row["path"])) == f"function:{key}"


def test_internal_and_blocking_routes_are_not_reachable_through_the_load_balancer(repository: Any) -> None:
    fallback = repository["url_map"]["path_matchers"]["routes"]["default_service"]
    for row in _rows():
        if row["auth"] not in tf.APP_AUTH:
            key = f"{row['function']}-{row['entry_point']}"
            assert (
                url_map.resolve(repository["url_map"], DOMAIN, _concrete(row["path"])) == fallback != f"function:{key}"
            )


@pytest.mark.parametrize("host", [DOMAIN, "203.0.113.7"])
@pytest.mark.parametrize("path", UNROUTED)
def test_unknown_paths_go_to_a_function_serving_only_app_routes(repository: Any, host: str, path: str) -> None:
    backend = url_map.resolve(repository["url_map"], host, path)
    kind, _, key = backend.partition(":")
    assert kind == "function"
    assert set(repository["functions"][key]["auth"]) <= tf.APP_AUTH


def _production_signer(repository: Any) -> access.Signer:
    """The content function's signer with its production environment and a stand-in key."""
    env = repository["function_env"]["content_urls-content"]
    key = f"{env['CDN_SIGNING_KEY_NAME']}:{base64.urlsafe_b64encode(bytes(16)).decode()}"
    return access.signer_of(Settings(**{name.lower(): value for name, value in env.items()}, cdn_keys=key))


@pytest.mark.parametrize(
    ("kind", "path"), [("file", "premium/evening-wind-down.wav"), ("stream", "premium/deep-sleep/index.m3u8")]
)
def test_signed_media_urls_reach_the_bucket_under_media(repository: Any, kind: str, path: str) -> None:
    item = ContentItem.model_validate({"id": "x", "title": "X", "tier": "free", "kind": kind, "path": path})
    granted = access.grant(item, entitlements.FREE, _production_signer(repository), now=1_700_000_000)
    urls = [granted.access.url]
    if granted.cookie:
        urls.append(cookie_url_prefix(granted.cookie.value))
        assert urlsplit(urls[-1]).path == granted.cookie.path
    for url in urls:
        parts = urlsplit(url)
        assert url_map.resolve(repository["url_map"], parts.netloc, parts.path) == "bucket:media", url
        assert url_map.bucket_object(parts.path).startswith("media/"), url
    assert url_map.bucket_object(urlsplit(granted.access.url).path) == f"media/{path}"


def test_the_load_balancer_serves_the_domain_and_routes_the_app_auth_kinds(repository: Any) -> None:
    assert repository["url_map"]["host_rules"] == [{"hosts": [DOMAIN], "path_matcher": "routes"}]
    assert set(repository["lb_auth_kinds"]) == tf.APP_AUTH
