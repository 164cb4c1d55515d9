"""Reading terraform/ in tests: the HCL as parsed by python-hcl2, and the route-derived locals
as Terraform itself computes them (`terraform console` on terraform/routes.tf, which holds only
locals read from files and from local.deployment, so with stand-ins for the latter it needs no
provider)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"

# The locals the tests read; jsonencode keeps their types.
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
}


def _clean(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals and labels; drop them."""
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parsed() -> dict[str, list[Any]]:
    """Every top-level block kind of terraform/*.tf, merged across files."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(TERRAFORM.glob("*.tf")):
        for kind, blocks in _clean(hcl2.loads(path.read_text())).items():
            merged.setdefault(kind, []).extend(blocks)
    return merged


def resources() -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for block in parsed().get("resource", []):
        for kind, named in block.items():
            for name, body in named.items():
                found[(kind, name)] = body
    return found


def deployment_keys() -> set[str]:
    """The keys of local.deployment in terraform/functions.tf."""
    return {key for block in parsed()["locals"] if "deployment" in block for key in block["deployment"]}


def evaluate_locals(routes_yaml: Path, workdir: Path, function_settings: Path | None = None) -> dict[str, Any]:
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
    return evaluated
