"""Terraform's locals of terraform/routes.tf as Terraform itself computes them: `terraform console`
on a copy of routes.tf, which holds only locals read from files and from local.deployment, so with
stand-ins for the latter it needs no provider and no network. The tests read them, and the local
stack starts each function with the environment they give it. Results are kept in a file per
distinct input (the files Terraform reads, the expression and the terraform binary), so an
unchanged input is evaluated once and a changed one never reads an old result."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TERRAFORM = ROOT / "terraform"
ROUTES_FILE = ROOT / "gateway" / "routes.yaml"
CACHE_DIR = ROOT / ".devstack" / "terraform-locals"

# The locals read; jsonencode keeps their types.
EVALUATED = (
    "functions",
    "functions_by_path",
    "url_rules",
    "function_config",
    "function_settings",
    "secrets",
    "secret_readers",
    "role_bindings",
    "scheduler_jobs",
    "scheduled",
    "tasks_target_function",
    "internal_invokers",
    "blocking_functions",
    "ttl_fields",
    "function_env",
    "function_secrets",
    "tasks_enqueuers",
    "reminders_max_attempts",
    "function_urls",
    # What Google is given: the calls it originates and the URL map it routes by.
    "lb_auth_kinds",
    "blocking_triggers",
    "scheduler_targets",
    "google_play_push",
    "url_map",
)

# Stand-ins for local.deployment (terraform/functions.tf): the values of variables and resources
# that Terraform knows only at plan time.
DEPLOYMENT_STAND_INS = {
    "project": "wellness-prod",
    "region": "europe-west1",
    "domain": "api.wellness.example",
    "reminders_queue": "reminders",
    "project_number": "123456789012",
    "reminders_task_service_account": "reminders-tasks@wellness-prod.iam.gserviceaccount.com",
    "scheduler_service_account": "scheduler-caller@wellness-prod.iam.gserviceaccount.com",
    "stripe_price_id": "price_1PremiumMonthly",
    "app_return_url": "https://app.wellness.example/billing/done",
    "cdn_signing_key_name": "media-key-1",
    "app_store_bundle_id": "com.wellness.app",
    "app_store_app_apple_id": "6450000001",
    "app_store_environment": "Production",
    "google_play_package_name": "com.wellness.app",
    "google_play_push_service_account": "google-play-push@wellness-prod.iam.gserviceaccount.com",
}


def evaluate_locals(
    routes_yaml: Path, workdir: Path, function_settings: Path | None = None, cache_dir: Path = CACHE_DIR
) -> dict[str, Any]:
    """The route-derived locals of terraform/routes.tf for a given route table (and the settings
    file that goes with it), with DEPLOYMENT_STAND_INS for local.deployment."""
    (workdir / "terraform").mkdir(parents=True)
    (workdir / "gateway").mkdir()
    (workdir / "lib").mkdir()
    shutil.copy(TERRAFORM / "routes.tf", workdir / "terraform" / "routes.tf")
    stand_ins = "\n".join(f"    {key} = {json.dumps(value)}" for key, value in DEPLOYMENT_STAND_INS.items())
    (workdir / "terraform" / "deployment.tf").write_text(f"locals {{\n  deployment = {{\n{stand_ins}\n  }}\n}}\n")
    shutil.copy(routes_yaml, workdir / "gateway" / "routes.yaml")
    shutil.copy(
        function_settings or ROOT / "lib" / "function_settings.yaml", workdir / "lib" / "function_settings.yaml"
    )
    shutil.copy(ROOT / "firestore.indexes.json", workdir / "firestore.indexes.json")
    expression = "jsonencode({" + ", ".join(f"{name} = local.{name}" for name in EVALUATED) + "})"
    cached = cache_dir / f"{input_key(workdir, expression)}.json"
    if cached.is_file():
        kept: dict[str, Any] = json.loads(cached.read_text())
        return kept
    result = subprocess.run(
        ["terraform", f"-chdir={workdir / 'terraform'}", "console"],
        input=expression + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"terraform console failed:\n{result.stderr}")
    evaluated: dict[str, Any] = json.loads(json.loads(result.stdout.strip()))
    _keep(cached, evaluated)
    return evaluated


def input_key(workdir: Path, expression: str) -> str:
    """A digest of everything the evaluation reads: each file of `workdir`, the expression, and
    the terraform binary on PATH (a new version may compute differently)."""
    digest = hashlib.sha256(expression.encode())
    binary = shutil.which("terraform")
    if binary:
        stat = Path(binary).resolve().stat()
        digest.update(f"{Path(binary).resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for path in sorted(p for p in workdir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(workdir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _keep(path: Path, evaluated: dict[str, Any]) -> None:
    """Written whole and then renamed, so a concurrent reader sees no half-written result."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as partial:
        json.dump(evaluated, partial)
    os.replace(partial.name, path)
