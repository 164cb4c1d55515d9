"""deploy.build_logs with a stand-in for gcloud."""

from __future__ import annotations

import json
import subprocess

from deploy import build_logs


def fake_gcloud(builds: list[dict[str, object]], logs: dict[str, str]) -> build_logs.Gcloud:
    def run(args: list[str]) -> str:
        if args[:2] == ["builds", "list"]:
            assert '--filter=status=FAILURE AND createTime>="2026-01-01T00:00:00Z"' in args
            return json.dumps(builds)
        if args[:2] == ["builds", "log"]:
            if args[-1] not in logs:
                raise subprocess.CalledProcessError(1, args, stderr="NOT_FOUND")
            return logs[args[-1]]
        raise AssertionError(args)

    return run


def test_each_failed_build_log_is_printed_under_its_id() -> None:
    run = fake_gcloud(
        [{"id": "b1", "createTime": "t1", "tags": ["gcf-v2"], "logUrl": "https://console/b1"}, {"id": "b2"}],
        {"b1": "ERROR: No matching distribution found for stripe==99\n"},
    )
    text = build_logs.report(run, "p", "europe-west1", "2026-01-01T00:00:00Z")
    assert text.startswith("2 Cloud Build(s) failed in p/europe-west1 since 2026-01-01T00:00:00Z")
    assert "===== build b1 created t1 tags gcf-v2" in text
    assert "No matching distribution found for stripe==99" in text
    assert "cannot read the log of b2: NOT_FOUND" in text


def test_no_failed_build_points_at_terraform_error() -> None:
    text = build_logs.report(fake_gcloud([], {}), "p", "europe-west1", "2026-01-01T00:00:00Z")
    assert text == (
        "no Cloud Build failed in p/europe-west1 since 2026-01-01T00:00:00Z: the cause is in Terraform's error above"
    )


def test_listing_refused_says_why() -> None:
    def refused(args: list[str]) -> str:
        raise subprocess.CalledProcessError(1, args, stderr="PERMISSION_DENIED: cloudbuild.builds.list")

    text = build_logs.report(refused, "p", "r", "2026-01-01T00:00:00Z")
    assert text == "cannot list Cloud Builds in p/r: PERMISSION_DENIED: cloudbuild.builds.list"
