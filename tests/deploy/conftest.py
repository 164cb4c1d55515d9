"""Terraform as the deploy tier reads it: the route-derived locals evaluated for the repository's
table, and the resources as parsed. And a stand-in project for deploy/bootstrap.py: `gcloud` and
`terraform` first on PATH are the stand-ins of tests/support, the REST APIs a local server, all on
one JSON file in tmp_path."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.bootstrap_steps import Settings
from lib.routing import ROUTES_FILE
from tests.support import standin_cloud as cloud
from tests.support import terraform as tf
from tests.support.standin_config import config_model
from tests.support.standin_googleapis import googleapis_server

ROOT = Path(__file__).resolve().parents[2]
STANDINS = {"gcloud": "tests.support.standin_gcloud", "terraform": "tests.support.standin_terraform"}
SECRET_VALUES = {
    "STRIPE_SECRET_KEY": "sk_live_standin_value",
    "STRIPE_WEBHOOK_SECRET": "whsec_standin_value",
    "APP_STORE_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nstand-in\n-----END PRIVATE KEY-----\n",
    "APP_STORE_KEY_ID": "STANDIN123",
    "APP_STORE_ISSUER_ID": "57246542-96fe-1a63-e053-0824d011072a",
    "GOOGLE_PLAY_SERVICE_ACCOUNT_KEY": '{"type": "service_account", "client_email": "standin@example.com"}',
}

SETTINGS = Settings(
    project=cloud.PROJECT,
    project_number=cloud.PROJECT_NUMBER,
    region="europe-west1",
    repository="wellness/backend",
    repository_id="424242",
    state_bucket=f"{cloud.PROJECT}-tfstate",
)


@pytest.fixture(scope="session")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The locals of terraform/routes.tf for the repository's route table."""
    return tf.evaluate_locals(ROUTES_FILE, tmp_path_factory.mktemp("console"))


@pytest.fixture(scope="session")
def resources() -> dict[tuple[str, str], dict[str, Any]]:
    return tf.resources()


@pytest.fixture(scope="session")
def terraform_config() -> dict[str, Any]:
    return config_model()


@pytest.fixture(scope="session")
def set_up_projects() -> dict[str, dict[str, Any]]:
    """Projects after the one-time setup, by the name of their preparation: the runs that break
    a later step start from there."""
    return {}


@pytest.fixture
def project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the stand-in project lives; gcloud, terraform and the REST APIs are its stand-ins."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, module in STANDINS.items():
        # -S: the stand-ins need only the standard library and this tree, and skipping
        # site-packages makes each of the run's many calls start faster.
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S -m {module} "$@"\n')
        script.chmod(0o755)
    state = tmp_path / "project.json"
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv(cloud.STATE_ENV, str(state))
    for name, value in SECRET_VALUES.items():
        monkeypatch.setenv(name, value)
    with googleapis_server() as root:
        monkeypatch.setenv("GOOGLEAPIS_ROOT", root)
        yield state


@pytest.fixture
def new_project(project_file: Path, terraform_config: dict[str, Any]) -> Callable[..., Path]:
    """Writes a fresh project, optionally changed by `prepare`, and returns its file."""

    def make(prepare: Callable[[dict[str, Any]], dict[str, Any]] = lambda state: state) -> Path:
        project_file.write_text(json.dumps(prepare(cloud.fresh_project(copy.deepcopy(terraform_config)))))
        return project_file

    return make
