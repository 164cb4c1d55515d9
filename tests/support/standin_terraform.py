"""A stand-in for the `terraform` commands deploy/bootstrap.py runs. It knows terraform/*.tf
through standin_cloud.config_model() (python-hcl2): an apply creates every resource of the
configuration, or the -target ones and what they refer to, in dependency order, and refuses what
Google or the provider refuses at that point."""

from __future__ import annotations

import sys
from typing import Any

from tests.support import standin_cloud as cloud

# Workload Identity Federation and the provider call these before anything can be planned:
# https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines
PIPELINE_APIS = {
    "serviceusage.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "sts.googleapis.com",
}

# The API that creates each kind of resource (by its type's prefix).
KIND_APIS = {
    "google_secret_manager": "secretmanager.googleapis.com",
    "google_cloudfunctions2": "cloudfunctions.googleapis.com",
    "google_firebaserules": "firebaserules.googleapis.com",
    "google_identity_platform": "identitytoolkit.googleapis.com",
    "google_firestore": "firestore.googleapis.com",
    "google_compute": "compute.googleapis.com",
    "google_artifact_registry": "artifactregistry.googleapis.com",
    "google_monitoring": "monitoring.googleapis.com",
    "google_logging": "logging.googleapis.com",
    "google_cloud_tasks": "cloudtasks.googleapis.com",
    "google_cloud_scheduler": "cloudscheduler.googleapis.com",
    "google_cloud_run": "run.googleapis.com",
    "google_service_account": "iam.googleapis.com",
}
SERVICES = "google_project_service.enabled"
LOAD_BALANCER_IP = "203.0.113.10"


def _needs_init(state: dict[str, Any]) -> None:
    if not state["tf_initialized"]:
        cloud.refuse(state, "not-initialized", "the backend is not initialized: run terraform init")


def _needs_pipeline_apis(state: dict[str, Any]) -> None:
    missing = PIPELINE_APIS - set(state["apis"])
    if missing:
        cloud.refuse(state, "pipeline-apis", f"the provider cannot authenticate or plan: {sorted(missing)} disabled")


def _closure(addresses: list[str], resources: dict[str, Any]) -> list[str]:
    """The addresses and everything they refer to, dependencies first."""
    ordered: list[str] = []

    def visit(address: str) -> None:
        if address in ordered:
            return
        for dep in resources[address]["deps"]:
            visit(dep)
        ordered.append(address)

    for address in addresses:
        visit(address)
    return ordered


def _refuse_create(state: dict[str, Any], address: str, apis_before: set[str], made_now: set[str]) -> None:
    config = state["config"]
    resources = config["resources"]
    kind = address.split(".")[0]
    api = next((api for prefix, api in KIND_APIS.items() if kind.startswith(prefix)), None)
    if api and api not in state["apis"]:
        cloud.refuse(state, "api-disabled", f"{address}: {api} is not enabled")
    # Enabled in this same apply: only what waits for the services (depends_on) sees it enabled.
    if api and api not in apis_before and SERVICES not in _closure([address], resources):
        cloud.refuse(state, "api-race", f"{address} does not wait for {SERVICES}")
    if address in state["remote"]:
        if address == "google_identity_platform_config.auth":
            # https://cloud.google.com/identity-platform/docs/reference/rest/v2/projects.identityPlatform/initializeAuth
            cloud.refuse(state, "initialize-auth", "initializeAuth: Identity Platform is already enabled")
        if address == "google_firebaserules_release.firestore":
            # https://github.com/hashicorp/terraform-provider-google/issues/20917
            cloud.refuse(state, "rules-release-exists", "release cloud.firestore already exists")
        cloud.refuse(state, "already-exists", f"{address} already exists: import it")
    if kind.startswith(("google_firebaserules", "google_identity_platform")) and not config["quota_project"]:
        # Without a quota project these APIs refuse user credentials:
        # https://firebase.google.com/docs/projects/terraform/get-started
        cloud.refuse(state, "quota-project", f"{address}: 403, no quota project")
    if address == "google_cloudfunctions2_function.fn":
        # https://cloud.google.com/run/docs/configuring/secrets: an instance whose secret cannot be read never starts.
        empty = [s for s in config["secrets"] if not state["secret_versions"].get(s)]
        if empty:
            cloud.refuse(state, "secret-no-version", f"secrets without a version: {empty}")
    if address == "google_storage_bucket_iam_member.cdn_reader" and not any(state["signed_url_keys"].values()):
        # The fill agent exists once a backend has a signed-URL key:
        # https://cloud.google.com/cdn/docs/using-signed-urls#configure_permissions
        cloud.refuse(state, "cdn-fill-agent-missing", "service-PROJECT_NUMBER@cloud-cdn-fill does not exist")
    if kind == "google_monitoring_alert_policy":
        # https://github.com/hashicorp/terraform-provider-google/issues/11102
        fresh = [d for d in resources[address]["deps"] if d.startswith("google_logging_metric.") and d in made_now]
        if fresh:
            cloud.refuse(state, "metric-too-new", f"{address}: metric {fresh} was created in this apply")


def _create(state: dict[str, Any], address: str, apis_before: set[str], made_now: set[str]) -> None:
    _refuse_create(state, address, apis_before, made_now)
    state["remote"].append(address)
    state["tf_state"].append(address)
    made_now.add(address)
    cloud.change(state, f"create {address}")
    if address == SERVICES:
        state["apis"] += [api for api in state["config"]["services"] if api not in state["apis"]]
    if (
        address == "google_firestore_database.default"
        and "google_firebaserules_release.firestore" not in state["remote"]
    ):
        state["remote"].append("google_firebaserules_release.firestore")
    if address == "google_cloudfunctions2_function.fn" and (
        "google_artifact_registry_repository.gcf_artifacts" not in state["remote"]
    ):
        state["remote"].append("google_artifact_registry_repository.gcf_artifacts")


def _apply(state: dict[str, Any], args: list[str]) -> None:
    resources = state["config"]["resources"]
    gated_off = {
        arg.removeprefix("-var=").split("=")[0] for arg in args if arg.startswith("-var=") and arg.endswith("=false")
    }
    targets = [arg.removeprefix("-target=") for arg in args if arg.startswith("-target=")]
    if not targets:
        for address in [a for a in state["tf_state"] if resources[a]["gate"] in gated_off]:
            state["tf_state"].remove(address)
            state["remote"].remove(address)
            cloud.change(state, f"destroy {address}")
    wanted = targets or [a for a, r in resources.items() if r["gate"] not in gated_off]
    apis_before, made_now = set(state["apis"]), set[str]()
    for address in _closure(wanted, resources):
        if address not in state["tf_state"]:
            _create(state, address, apis_before, made_now)


def _import(state: dict[str, Any], address: str) -> None:
    if address in state["tf_state"]:
        cloud.refuse(state, "already-managed", f"{address} is already managed by Terraform")
    if address not in state["remote"]:
        print(f"Error: Cannot import non-existent remote object ({address})", file=sys.stderr)
        sys.exit(1)
    state["tf_state"].append(address)
    cloud.change(state, f"import {address}")


def main(argv: list[str]) -> None:
    state = cloud.load()
    args = [a for a in argv if not a.startswith("-chdir=")]
    command = args[0]
    if command == "init":
        bucket = next(a.split("=", 2)[2] for a in args if a.startswith("-backend-config=bucket="))
        if bucket not in state["buckets"]:
            cloud.refuse(state, "state-bucket", f"Failed to get existing workspaces: bucket {bucket} doesn't exist")
        state["tf_initialized"] = True
    elif command == "state":
        _needs_init(state)
        address = args[2]
        if address.split("[")[0] in state["tf_state"]:
            print(address)
    elif command == "output":
        _needs_init(state)
        if "google_compute_global_address.api" not in state["tf_state"]:
            print('Error: Output "load_balancer_ip" not found', file=sys.stderr)
            sys.exit(1)
        print(LOAD_BALANCER_IP, end="")
    elif command in ("apply", "plan", "import"):
        _needs_init(state)
        _needs_pipeline_apis(state)
        if command == "apply":
            _apply(state, args[1:])
        elif command == "import":
            positional = [a for a in args[1:] if not a.startswith("-")]
            _import(state, positional[0])
    else:
        raise SystemExit(f"stand-in terraform: unknown command {argv}")
    cloud.save(state)


if __name__ == "__main__":
    main(sys.argv[1:])
