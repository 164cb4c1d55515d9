"""The logs of the Cloud Builds that failed since a deploy started, printed after a failed apply.

`python -m deploy.build_logs --project P --region R --since 2026-01-01T00:00:00Z` lists the
failed builds (a Cloud Function's source is built by Cloud Build before it deploys) and prints
each one's log, so a failed function build shows its reason in the deploy's own output.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections.abc import Callable, Sequence
from typing import Any

Gcloud = Callable[[list[str]], str]
LIMIT = 5


def gcloud(args: list[str]) -> str:
    return subprocess.run(["gcloud", *args], check=True, capture_output=True, text=True).stdout


def failed_builds(run: Gcloud, project: str, region: str, since: str) -> list[dict[str, Any]]:
    listed = run(
        [
            "builds",
            "list",
            f"--project={project}",
            f"--region={region}",
            f'--filter=status=FAILURE AND createTime>="{since}"',
            f"--limit={LIMIT}",
            "--format=json",
        ]
    )
    builds: list[dict[str, Any]] = json.loads(listed or "[]")
    return builds


def report(run: Gcloud, project: str, region: str, since: str) -> str:
    try:
        builds = failed_builds(run, project, region, since)
    except subprocess.CalledProcessError as exc:
        return f"cannot list Cloud Builds in {project}/{region}: {(exc.stderr or '').strip() or exc}"
    if not builds:
        return f"no Cloud Build failed in {project}/{region} since {since}: the cause is in Terraform's error above"
    parts = [f"{len(builds)} Cloud Build(s) failed in {project}/{region} since {since} (newest first):"]
    for build in builds:
        build_id = build["id"]
        header = (
            f"\n===== build {build_id} created {build.get('createTime', '?')} "
            f"tags {','.join(build.get('tags', [])) or '-'}\n      {build.get('logUrl', '')}"
        )
        try:
            log = run(["builds", "log", f"--project={project}", f"--region={region}", build_id])
        except subprocess.CalledProcessError as exc:
            log = f"cannot read the log of {build_id}: {(exc.stderr or '').strip() or exc}"
        parts.append(f"{header}\n{log.rstrip()}")
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.build_logs", description=__doc__)
    parser.add_argument("--project", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--since", required=True, help="RFC 3339 UTC time the deploy started")
    args = parser.parse_args(argv)
    print(report(gcloud, args.project, args.region, args.since), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
