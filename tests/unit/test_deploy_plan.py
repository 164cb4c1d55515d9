"""deploy.plan on the JSON form of a saved plan."""

from __future__ import annotations

from typing import Any

from deploy import plan


def change(address: str, *actions: str) -> dict[str, Any]:
    return {"address": address, "change": {"actions": list(actions)}}


PLAN = {
    "variables": {"domain": {"value": "api.example.com"}},
    "resource_changes": [
        change('google_cloudfunctions2_function.fn["streaks-streaks"]', "update"),
        change('google_storage_bucket_object.source["streaks"]', "delete", "create"),
        change('google_project_iam_member.fn["x"]', "create"),
        change("google_compute_url_map.api", "no-op"),
        change("data.google_project.this", "read"),
    ],
}


def test_summary_counts_as_terraform_does_and_lists_each_change() -> None:
    text = plan.summary(PLAN)
    assert text.splitlines()[0] == "**Plan:** 2 to add, 1 to change, 1 to destroy."
    assert '| replace | `google_storage_bucket_object.source["streaks"]` |' in text
    assert "no-op" not in text
    assert "data.google_project" not in text


def test_empty_plan_says_no_changes() -> None:
    assert plan.summary({"resource_changes": []}) == "**Plan:** 0 to add, 0 to change, 0 to destroy.\n\nNo changes."


def test_variable_reads_its_value() -> None:
    assert plan.variable(PLAN, "domain") == "api.example.com"
