"""A stand-in for the `gcloud` commands deploy/bootstrap.py runs, on the project in
standin_cloud's JSON file. Flags are `--name=value`; an unknown command fails loudly."""

from __future__ import annotations

import base64
import binascii
import sys
from pathlib import Path
from typing import Any

from tests.support import standin_cloud as cloud

# The API each command group calls: a disabled API answers 403 SERVICE_DISABLED
# (https://cloud.google.com/service-usage/docs/enable-disable).
GROUP_APIS = {
    "storage": "storage.googleapis.com",
    "iam": "iam.googleapis.com",
    "projects": "cloudresourcemanager.googleapis.com",
    "firestore": "firestore.googleapis.com",
    "artifacts": "artifactregistry.googleapis.com",
    "secrets": "secretmanager.googleapis.com",
    "compute": "compute.googleapis.com",
}


def _split(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    words = [a for a in argv if not a.startswith("--")]
    flags = {}
    for arg in argv:
        if arg.startswith("--"):
            name, _, value = arg[2:].partition("=")
            flags[name] = value
    return words, flags


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        print(line)


def _members(policy: dict[str, list[str]], flags: dict[str, str]) -> None:
    role = flags["filter"].removeprefix("bindings.role=")
    _print_lines(policy.get(role, []))


def _bind(state: dict[str, Any], policy: dict[str, list[str]], flags: dict[str, str], what: str) -> None:
    member = flags["member"]
    # A binding to a service account that does not exist is refused (INVALID_ARGUMENT).
    if member.startswith("serviceAccount:") and member.removeprefix("serviceAccount:") not in state["service_accounts"]:
        cloud.refuse(state, "sa-missing", f"{member} does not exist")
    members = policy.setdefault(flags["role"], [])
    if member not in members:
        members.append(member)
        cloud.change(state, f"bind {flags['role']} {member} on {what}")


def _storage(state: dict[str, Any], words: list[str], flags: dict[str, str]) -> None:
    verb, bucket = words[2], words[3].removeprefix("gs://")
    if verb == "create":
        state["buckets"][bucket] = {"versioning": False}
        cloud.change(state, f"create bucket {bucket}")
        return
    if bucket not in state["buckets"]:
        cloud.not_found(f"bucket {bucket}")
    if verb == "describe":
        fmt = flags.get("format")
        print(bucket if fmt == "value(name)" else str(state["buckets"][bucket]["versioning"]))
    elif verb == "update" and "versioning" in flags:
        state["buckets"][bucket]["versioning"] = True
        cloud.change(state, f"version bucket {bucket}")
    elif verb == "add-iam-policy-binding":
        _bind(state, state["bucket_iam"].setdefault(bucket, {}), flags, bucket)
    elif verb == "get-iam-policy":
        _members(state["bucket_iam"].get(bucket, {}), flags)
    else:
        raise SystemExit(f"stand-in gcloud: unknown storage command {words}")


def _pools(state: dict[str, Any], words: list[str], flags: dict[str, str]) -> None:
    if words[2] == "providers":
        verb, name = words[3], words[4]
        if verb == "create-oidc":
            # A provider lives in a pool (https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines).
            if flags["workload-identity-pool"] not in state["pools"]:
                cloud.refuse(state, "wif-pool-missing", "the workload identity pool does not exist")
            state["providers"][name] = {"attributeCondition": flags["attribute-condition"]}
            cloud.change(state, f"create provider {name}")
        elif name not in state["providers"]:
            cloud.not_found(f"provider {name}")
        elif verb == "update-oidc":
            state["providers"][name] = {"attributeCondition": flags["attribute-condition"]}
            cloud.change(state, f"update provider {name}")
        elif verb == "describe":
            fmt = flags.get("format")
            print(name if fmt == "value(name)" else state["providers"][name]["attributeCondition"])
        return
    verb, name = words[2], words[3]
    if verb == "create":
        state["pools"].append(name)
        cloud.change(state, f"create pool {name}")
    elif name not in state["pools"]:
        cloud.not_found(f"pool {name}")
    else:
        print(f"projects/{state['project_number']}/locations/global/workloadIdentityPools/{name}")


def _service_accounts(state: dict[str, Any], words: list[str], flags: dict[str, str]) -> None:
    verb, name = words[2], words[3]
    if verb == "create":
        state["service_accounts"][f"{name}@{state['project']}.iam.gserviceaccount.com"] = {}
        cloud.change(state, f"create service account {name}")
        return
    if name not in state["service_accounts"]:
        if verb == "add-iam-policy-binding":
            cloud.refuse(state, "sa-missing", f"service account {name} does not exist")
        cloud.not_found(f"service account {name}")
    if verb == "describe":
        print(name)
    elif verb == "add-iam-policy-binding":
        _bind(state, state["sa_iam"].setdefault(name, {}), flags, name)
    elif verb == "get-iam-policy":
        _members(state["sa_iam"].get(name, {}), flags)


def _projects(state: dict[str, Any], words: list[str], flags: dict[str, str]) -> None:
    verb = words[1]
    if verb == "describe":
        print(state["project_number"])
    elif verb == "get-iam-policy":
        _members(state["project_iam"], flags)
    elif verb == "add-iam-policy-binding":
        _bind(state, state["project_iam"], flags, "project")
    elif verb == "remove-iam-policy-binding":
        state["project_iam"][flags["role"]].remove(flags["member"])
        cloud.change(state, f"unbind {flags['role']} {flags['member']}")


def _secrets(state: dict[str, Any], words: list[str], flags: dict[str, str]) -> None:
    verb = words[2]
    secret = flags.get("secret") or words[3]
    if "google_secret_manager_secret.secret" not in state["remote"]:
        cloud.refuse(state, "secret-container-missing", f"secret {secret} does not exist: create the container first")
    versions = state["secret_versions"].setdefault(secret, [])
    if verb == "list":
        _print_lines([str(i + 1) for i in range(len(versions))][-1:])
    elif verb == "add":
        versions.append(sys.stdin.read())
        cloud.change(state, f"add a version to {secret}")
    elif verb == "access":
        if not versions:
            cloud.not_found(f"no version of {secret}")
        print(versions[-1])


def _signed_url_key(state: dict[str, Any], words: list[str], flags: dict[str, str]) -> None:
    verb, name = words[2], words[3]
    # A key is added to an existing backend bucket (https://cloud.google.com/cdn/docs/using-signed-urls#creatingkeys).
    if f"google_compute_backend_bucket.{name}" not in state["remote"]:
        if verb == "add-signed-url-key":
            cloud.refuse(state, "backend-bucket-missing", f"backend bucket {name} does not exist")
        cloud.not_found(f"backend bucket {name}")
    keys = state["signed_url_keys"].setdefault(name, [])
    if verb == "describe":
        print(";".join(keys))
        return
    # Cloud CDN keys are 128-bit values, base64url encoded.
    try:
        raw = base64.urlsafe_b64decode(Path(flags["key-file"]).read_text().strip())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        cloud.refuse(state, "bad-cdn-key", "the key file does not hold a 16-byte base64url key")
    keys.append(flags["key-name"])
    cloud.change(state, f"add signed-url key {flags['key-name']} to {name}")


def _describe_remote(state: dict[str, Any], address: str) -> None:
    if address not in state["remote"]:
        cloud.not_found(address)
    print(address)


def main(argv: list[str]) -> None:
    state = cloud.load()
    words, flags = _split(argv)
    group = words[0]
    if group == "auth":
        print("standin-access-token")
        return
    if group == "services":
        if words[1] == "enable":
            for api in words[2:]:
                if api not in state["apis"]:
                    state["apis"].append(api)
                    cloud.change(state, f"enable {api}")
        else:
            _print_lines(state["apis"])
        cloud.save(state)
        return
    api = GROUP_APIS[group]
    if api not in state["apis"] and words[:2] != ["projects", "describe"]:
        cloud.refuse(state, "api-disabled", f"{api} is not enabled")
    if group == "storage":
        _storage(state, words, flags)
    elif words[:2] == ["iam", "workload-identity-pools"]:
        _pools(state, words, flags)
    elif words[:2] == ["iam", "service-accounts"]:
        _service_accounts(state, words, flags)
    elif group == "projects":
        _projects(state, words, flags)
    elif group == "firestore":
        _describe_remote(state, "google_firestore_database.default")
    elif group == "artifacts":
        _describe_remote(state, "google_artifact_registry_repository.gcf_artifacts")
    elif group == "secrets":
        _secrets(state, words, flags)
    elif group == "compute":
        _signed_url_key(state, words, flags)
    else:
        raise SystemExit(f"stand-in gcloud: unknown command {argv}")
    cloud.save(state)


if __name__ == "__main__":
    main(sys.argv[1:])
