"""`make bootstrap`: a fresh project's first deploy, safe to run again. Runs the steps of
deploy/bootstrap_steps.py through gcloud and terraform, skipping each whose effect already exists.

Configuration comes from the environment (docs/deploy.md, "First deploy"). Secret values reach
gcloud on stdin only; nothing here prints them.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from deploy import google_rest
from deploy.bootstrap_steps import (
    CommandProbe,
    FromEnv,
    KeyFileFromSecret,
    NewCdnKey,
    Probe,
    RestProbe,
    Settings,
    Step,
    bootstrap_steps,
)

ROOT = Path(__file__).resolve().parents[1]


class BootstrapError(Exception):
    """A step failed or cannot run; the message says which and why."""


def settings_from_env(env: Mapping[str, str], project_number: str) -> Settings:
    missing = [name for name in ("GCP_PROJECT", "GITHUB_REPOSITORY", "GITHUB_REPOSITORY_ID") if not env.get(name)]
    if missing:
        raise BootstrapError(f"set {', '.join(missing)} (docs/deploy.md, First deploy)")
    project = env["GCP_PROJECT"]
    return Settings(
        project=project,
        project_number=project_number,
        region=env.get("GCP_REGION") or "europe-west1",
        repository=env["GITHUB_REPOSITORY"],
        repository_id=env["GITHUB_REPOSITORY_ID"],
        state_bucket=env.get("TF_STATE_BUCKET") or f"{project}-tfstate",
        state_prefix=env.get("TF_STATE_PREFIX") or "wellness/prod",
        tfvars=env.get("TFVARS", "prod.tfvars"),
        firestore_database=env.get("FIRESTORE_DATABASE") or "(default)",
        cdn_key_name=env.get("CDN_SIGNING_KEY_NAME") or "media-key-1",
    )


def new_cdn_key() -> str:
    """Cloud CDN signed-URL keys are 16 random bytes, base64url encoded."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode()


def _capture(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)


def _command_holds(probe: CommandProbe) -> bool:
    result = _capture(probe.argv)
    if result.returncode != 0:
        return False
    items = {item.strip() for line in result.stdout.splitlines() for item in line.split(";")} - {""}
    return all(wanted in items for wanted in probe.expect) if probe.expect else bool(items)


def _rest_holds(probe: RestProbe, project: str) -> bool:
    status = google_rest.call("GET", probe.url, project)
    if status not in (200, 404):
        raise BootstrapError(f"GET {probe.url} answered {status}")
    return status == 200


def holds(probe: Probe, project: str) -> bool:
    if isinstance(probe, RestProbe):
        try:
            return _rest_holds(probe, project)
        except google_rest.GoogleRestError as exc:
            raise BootstrapError(str(exc)) from exc
    return _command_holds(probe)


def _secret_value(secret: str, project: str) -> str:
    result = _capture(
        ["gcloud", "secrets", "versions", "access", "latest", f"--secret={secret}", f"--project={project}"]
    )
    if result.returncode != 0:
        raise BootstrapError(f"cannot read the latest version of {secret}")
    return result.stdout.strip().partition(":")[2]


def _run(step: Step, project: str, env: Mapping[str, str]) -> int:
    stdin = step.stdin
    if isinstance(stdin, KeyFileFromSecret):
        with tempfile.TemporaryDirectory() as folder:
            key_file = Path(folder) / "key"
            key_file.touch(mode=0o600)
            key_file.write_text(_secret_value(stdin.secret, project))
            argv = [arg.replace("{key_file}", str(key_file)) for arg in step.argv]
            return subprocess.run(argv, cwd=ROOT, check=False).returncode
    data: str | None = None
    if isinstance(stdin, FromEnv):
        data = env.get(stdin.variable)
        if not data:
            raise BootstrapError(f"{step.name}: set {stdin.variable}")
    elif isinstance(stdin, NewCdnKey):
        data = f"{stdin.key_name}:{new_cdn_key()}"
    return subprocess.run(step.argv, cwd=ROOT, input=data, text=True, check=False).returncode


def run_steps(steps: Sequence[Step], project: str, env: Mapping[str, str]) -> None:
    for step in steps:
        if step.needed is not None and not holds(step.needed, project):
            print(f"- {step.name}: nothing to do", flush=True)
            continue
        if step.done is not None and holds(step.done, project):
            print(f"✓ {step.name}: already done", flush=True)
            continue
        print(f"→ {step.name}", flush=True)
        if _run(step, project, env) != 0:
            raise BootstrapError(f"{step.name} failed; fix the cause and run make bootstrap again")


def _project_number(project: str) -> str:
    result = _capture(["gcloud", "projects", "describe", project, "--format=value(projectNumber)"])
    if result.returncode != 0 or not result.stdout.strip():
        raise BootstrapError(f"cannot read project {project}: {result.stderr.strip()}")
    return result.stdout.strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.bootstrap", description=__doc__)
    parser.add_argument("--list", action="store_true", help="print the steps in order and run nothing")
    args = parser.parse_args(argv)
    env = os.environ
    try:
        project = env.get("GCP_PROJECT", "")
        settings = settings_from_env(env, _project_number(project) if project else "")
        steps = bootstrap_steps(settings)
        if args.list:
            print("\n".join(step.name for step in steps))
            return 0
        run_steps(steps, settings.project, env)
    except BootstrapError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
