"""The dashboard in terraform/dashboard.tf is wired: every metric a chart names exists, as a
log-based metric of terraform/ (with the key it asks for) or a documented Google metric."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pytest

from tests.support import terraform as tf

# Google's own metrics the dashboard charts, each with the page that documents it.
GOOGLE_METRICS = {
    # https://cloud.google.com/monitoring/api/metrics_gcp#gcp-run
    "run.googleapis.com/request_count",
    "run.googleapis.com/request_latencies",
    # https://cloud.google.com/monitoring/api/metrics_gcp#gcp-firestore
    "firestore.googleapis.com/document/read_ops_count",
    "firestore.googleapis.com/document/write_ops_count",
    "firestore.googleapis.com/document/delete_ops_count",
}

_LOG_METRIC_REF = re.compile(r'google_logging_metric\.(\w+)(?:\[\\?"([^"\\]+)\\?"\])?\.name')
_METRIC_TYPE = re.compile(r'metric\.type=\\?"([^"\\]+)\\?"')
_CHART_LISTS = ("push_charts", "run_charts", "firestore_charts")


@functools.cache
def _resources() -> dict[tuple[str, str], dict[str, Any]]:
    return tf.resources()


@functools.cache
def _locals() -> dict[str, Any]:
    return tf.locals_as_parsed()


def _charts() -> list[tuple[str, str]]:
    """(title, filter) of every chart, with the push charts' `${field}` expanded."""
    found = []
    for name in _CHART_LISTS:
        charts = _locals()[name]
        if isinstance(charts, str):  # a for expression: python-hcl2 keeps it as text
            for field in _locals()["push_fields"]:
                text = charts.replace("${field}", field)
                found.append((f"{name}:{field}", text))
            continue
        found.extend((chart["title"], chart["filter"]) for chart in charts)
    ratio = _locals()["error_rate_chart"]
    found.extend((f"{ratio['title']}:{part}", ratio[part]) for part in ("numerator", "denominator"))
    return found


def _metric_keys(name: str) -> set[str]:
    for_each = _resources()[("google_logging_metric", name)].get("for_each", "")
    local = re.fullmatch(r"\$\{local\.(\w+)\}", for_each)
    assert local, f"google_logging_metric.{name}: for_each is not a local map"
    value = _locals()[local[1]]
    if isinstance(value, str):  # {for field in local.push_fields : "reminder_pushes_${field}" => ...}
        return {f"reminder_pushes_{field}" for field in _locals()["push_fields"]}
    return set(value)


def test_the_dashboard_draws_every_chart() -> None:
    dashboard = json.dumps(_resources()[("google_monitoring_dashboard", "operations")]["dashboard_json"])
    assert "local.dashboard_charts" in dashboard
    assert "local.error_rate_chart.numerator" in dashboard
    assert "local.error_rate_chart.denominator" in dashboard
    assert "concat(local.push_charts, local.run_charts, local.firestore_charts)" in _locals()["dashboard_charts"]


@pytest.mark.parametrize(("title", "chart_filter"), _charts())
def test_every_chart_names_one_metric_that_exists(title: str, chart_filter: str) -> None:
    refs = _LOG_METRIC_REF.findall(chart_filter)
    types = [t for t in _METRIC_TYPE.findall(chart_filter) if not t.startswith("logging.googleapis.com/user/")]
    assert len(refs) + len(types) == 1, f"{title}: names {refs} {types}"
    for metric, key in refs:
        assert ("google_logging_metric", metric) in _resources(), f"{title}: no google_logging_metric.{metric}"
        if key:
            assert key in _metric_keys(metric), f"{title}: google_logging_metric.{metric} has no key {key!r}"
    for metric_type in types:
        assert metric_type in GOOGLE_METRICS, f"{title}: {metric_type} is neither ours nor a listed Google metric"


def test_the_dashboard_shows_what_an_operator_looks_at_first() -> None:
    titles = " ".join(title for title, _ in _charts()) + " " + json.dumps(_locals()["run_charts"])
    for wanted in ("sent", "skipped", "failed", "Webhook", "p50", "p99", "Error rate", "Platform refusals", "Requests"):
        assert wanted in titles, wanted
