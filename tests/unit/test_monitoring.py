"""Every alert policy in terraform/ is wired: what it watches exists (a log-based metric of
terraform/ or a Google metric listed here), and its runbook section exists in docs/operations.md."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest

from lib import routing
from tests.support import terraform as tf
from tests.unit.test_docs_links import anchors

OPERATIONS = tf.ROOT / "docs" / "operations.md"

# Google's own metrics an alert may watch, each with the page that documents it.
GOOGLE_METRICS = {
    # https://cloud.google.com/monitoring/api/metrics_gcp#gcp-cloudtasks
    "cloudtasks.googleapis.com/queue/task_attempt_count",
    # https://cloud.google.com/monitoring/api/metrics_gcp#gcp-monitoring
    "monitoring.googleapis.com/uptime_check/check_passed",
}

_LOG_METRIC_REF = re.compile(r'google_logging_metric\.(\w+)\[(?:"(\w+)"|each\.key)\]\.name')
_METRIC_TYPE = re.compile(r'metric\.type=\\?"([^"\\]+)\\?"')
_RUNBOOK = re.compile(r"docs/operations\.md#([\w-]+)")

CONDITION_KINDS = ("condition_threshold", "condition_absent", "condition_prometheus_query_language")


@functools.cache
def _resources() -> dict[tuple[str, str], dict[str, Any]]:
    return tf.resources()


@functools.cache
def _policies() -> dict[str, dict[str, Any]]:
    return {name: body for (kind, name), body in _resources().items() if kind == "google_monitoring_alert_policy"}


@functools.cache
def _locals() -> dict[str, Any]:
    return tf.locals_as_parsed()


def _metric_keys(name: str) -> set[str]:
    """The instance keys of `google_logging_metric.<name>` (a for_each over a local map)."""
    for_each = _resources()[("google_logging_metric", name)]["for_each"]
    local = re.fullmatch(r"\$\{local\.(\w+)\}", for_each)
    assert local, f"google_logging_metric.{name}: for_each is not a local map"
    return set(_locals()[local[1]])


def _watched(policy: dict[str, Any]) -> list[str]:
    """Each condition's filter or query."""
    found = []
    for condition in policy["conditions"]:
        kinds = [kind for kind in CONDITION_KINDS if kind in condition]
        assert len(kinds) == 1, f"{condition['display_name']}: one condition kind expected, found {kinds}"
        body = condition[kinds[0]][0]
        found.append(body.get("filter") or body["query"])
    return found


def _iterated(policy: dict[str, Any]) -> str:
    """A policy's for_each without the var.alert_policies gate (terraform/monitoring.tf)."""
    gated = re.fullmatch(r"\$\{var\.alert_policies \? (.+) : \{\}\}", policy["for_each"])
    assert gated, f"for_each {policy['for_each']} is not gated on var.alert_policies"
    return "${" + gated[1] + "}"


def _runbook_of(name: str, policy: dict[str, Any]) -> set[str]:
    content = policy["documentation"][0]["content"]
    if "${each.value.runbook}" in content:
        # A for_each policy: its runbooks are the map it iterates.
        local = re.fullmatch(r"\$\{local\.(\w+)\}", _iterated(policy))
        assert local, f"{name}: for_each is not a local map"
        return {_RUNBOOK.search(row["runbook"])[1] for row in _locals()[local[1]].values()}  # type: ignore[index]
    return set(_RUNBOOK.findall(content))


@pytest.mark.parametrize("name", sorted(_policies()))
def test_every_alert_watches_a_metric_that_exists(name: str) -> None:
    policy = _policies()[name]
    for watched in _watched(policy):
        refs = _LOG_METRIC_REF.findall(watched)
        types = [t for t in _METRIC_TYPE.findall(watched) if not t.startswith("logging.googleapis.com/user/")]
        assert refs or types, f"{name}: a condition names no metric: {watched}"
        for metric, key in refs:
            assert ("google_logging_metric", metric) in _resources(), f"{name}: no google_logging_metric.{metric}"
            if key:
                assert key in _metric_keys(metric), f"{name}: google_logging_metric.{metric} has no key {key!r}"
            else:
                assert _iterated(policy) == _resources()[("google_logging_metric", metric)]["for_each"]
        for metric_type in types:
            assert metric_type in GOOGLE_METRICS, f"{name}: {metric_type} is neither ours nor a listed Google metric"


@pytest.mark.parametrize("name", sorted(_policies()))
def test_every_alert_links_a_runbook_section_that_exists(name: str) -> None:
    runbooks = _runbook_of(name, _policies()[name])
    assert runbooks, f"{name}: its documentation names no docs/operations.md#section"
    missing = runbooks - anchors(OPERATIONS)
    assert not missing, f"{name}: docs/operations.md has no section {sorted(missing)}"


def test_every_log_metric_filter_reads_cloud_run_lines() -> None:
    for key, metric_filter in _locals()["line_filters"].items():
        assert 'resource.type=\\"cloud_run_revision\\"' in metric_filter, key


def test_the_platform_refusal_metric_reads_the_request_log_not_our_lines() -> None:
    refusals = _locals()["line_filters"]["platform_refusals"]
    assert "run.googleapis.com%2Frequests" in refusals
    assert "httpRequest.status" in refusals
    assert "jsonPayload" not in refusals


def test_the_uptime_check_asks_healthz_through_the_load_balancer_from_several_regions() -> None:
    check = _resources()[("google_monitoring_uptime_check_config", "api")]
    assert check["http_check"][0]["path"] == "/healthz"
    assert check["monitored_resource"][0]["labels"]["host"] == "${var.domain}"
    assert len(check["selected_regions"]) >= 3
    routes = {r.path: r for r in routing.routes()}
    assert routes["/healthz"].function != "gateway"
    assert routes["/healthz"].auth == "none"


@pytest.mark.parametrize("name", ["app_store_silence", "google_play_silence"])
def test_a_store_silence_alert_fires_only_while_that_store_had_notifications_in_30_days(name: str) -> None:
    """Silence means something only while subscriptions are live: before the first sale in a
    store, or after its last subscription ended, no notification is expected."""
    [query] = _watched(_policies()[name])
    recent, _, silent = query.partition(" unless ")
    assert recent.endswith("[30d])) > 0"), query
    assert silent.endswith("h])) > 0"), query
    assert _LOG_METRIC_REF.findall(recent) == _LOG_METRIC_REF.findall(silent), query
