"""A Google Cloud project as a JSON file, shared by the stand-ins for `gcloud`
(standin_gcloud.py), `terraform` (standin_terraform.py) and the Google REST APIs (googleapis_server).

A stand-in refuses what Google or the provider refuses: it prints `REFUSED[<rule>]: why` to
stderr, records the rule under "refusals" and exits 1. Every change is appended to "changes", so a
test can tell a run that changed nothing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

STATE_ENV = "STANDIN_STATE"
PROJECT = "wellness-prod"
PROJECT_NUMBER = "123456789012"

# A new project has Service Usage and Cloud Storage on; everything else is enabled by someone.
DEFAULT_APIS = ["serviceusage.googleapis.com", "storage.googleapis.com"]


def fresh_project(config: dict[str, Any]) -> dict[str, Any]:
    """`config` is standin_config.config_model()."""
    return {
        "project": PROJECT,
        "project_number": PROJECT_NUMBER,
        "apis": list(DEFAULT_APIS),
        "buckets": {},
        "bucket_iam": {},
        "project_iam": {},
        "pools": [],
        "providers": {},
        "service_accounts": {},
        "sa_iam": {},
        "secret_versions": {},
        "signed_url_keys": {},
        # Addresses of what exists in the cloud, whoever created it, and of Terraform's state.
        "remote": [],
        "tf_state": [],
        "tf_initialized": False,
        "changes": [],
        "refusals": [],
        "config": config,
    }


def console_created(state: dict[str, Any]) -> dict[str, Any]:
    """The project after a person created Firestore and enabled Identity Platform in the console:
    creating the database also created its rules release (provider issue #20917)."""
    state["apis"] += ["firestore.googleapis.com", "identitytoolkit.googleapis.com", "firebaserules.googleapis.com"]
    state["remote"] += [
        "google_firestore_database.default",
        "google_firebaserules_release.firestore",
        "google_identity_platform_config.auth",
    ]
    return state


def state_path() -> Path:
    return Path(os.environ[STATE_ENV])


def load() -> dict[str, Any]:
    state: dict[str, Any] = json.loads(state_path().read_text())
    return state


def save(state: dict[str, Any]) -> None:
    state_path().write_text(json.dumps(state, indent=1))


def change(state: dict[str, Any], what: str) -> None:
    state["changes"].append(what)


def refuse(state: dict[str, Any], rule: str, why: str) -> NoReturn:
    state["refusals"].append(rule)
    save(state)
    print(f"REFUSED[{rule}]: {why}", file=sys.stderr)
    sys.exit(1)


def not_found(what: str) -> NoReturn:
    print(f"ERROR: (NOT_FOUND) {what}", file=sys.stderr)
    sys.exit(1)
