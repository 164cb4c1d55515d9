"""make bootstrap (deploy/bootstrap.py) against stand-ins of gcloud, terraform and the REST APIs
that refuse what Google and the provider refuse (tests/support/standin_*.py)."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deploy.bootstrap import BootstrapError, run_steps
from deploy.bootstrap_steps import Step, bootstrap_steps, one_time_setup
from tests.deploy.conftest import SECRET_VALUES, SETTINGS
from tests.support import standin_cloud as cloud
from tests.support.standin_terraform import LOAD_BALANCER_IP, SERVICES

STEPS = bootstrap_steps(SETTINGS)
SETUP = one_time_setup(SETTINGS)
NewProject = Callable[..., Path]
Prepare = Callable[[dict[str, Any]], dict[str, Any]]


def _read(path: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def _bootstrap(path: Path, steps: list[Step] = STEPS) -> dict[str, Any]:
    run_steps(steps, SETTINGS.project, os.environ)
    return _read(path)


def test_a_fresh_project_bootstraps_to_a_complete_deploy(
    new_project: NewProject, capfd: pytest.CaptureFixture[str]
) -> None:
    state = _bootstrap(new_project())
    out, err = capfd.readouterr()
    assert set(state["tf_state"]) == set(state["config"]["resources"])
    assert state["refusals"] == []
    assert state["signed_url_keys"]["media"] == [SETTINGS.cdn_key_name]
    assert all(state["secret_versions"][s] for s in state["config"]["secrets"])
    assert state["providers"]["github"]["attributeCondition"] == "assertion.repository_id == '424242'"
    assert out.rstrip().endswith(LOAD_BALANCER_IP)
    cdn_key = state["secret_versions"]["cdn-signing-key"][0].partition(":")[2]
    for secret in [*SECRET_VALUES.values(), cdn_key]:
        assert secret not in out + err


def test_the_planner_reads_only_the_state_and_source_buckets(new_project: NewProject) -> None:
    def granted_project_wide(state: dict[str, Any]) -> dict[str, Any]:
        state["project_iam"]["roles/storage.objectViewer"] = [
            f"serviceAccount:planner@{cloud.PROJECT}.iam.gserviceaccount.com"
        ]
        return state

    state = _bootstrap(new_project(granted_project_wide))
    planner = f"serviceAccount:planner@{cloud.PROJECT}.iam.gserviceaccount.com"
    assert planner not in state["project_iam"]["roles/storage.objectViewer"]
    assert planner in state["bucket_iam"][SETTINGS.state_bucket]["roles/storage.objectViewer"]
    assert "google_storage_bucket_iam_member.planner_sources" in state["tf_state"]


def test_a_second_run_changes_nothing(new_project: NewProject) -> None:
    path = new_project()
    first = _bootstrap(path)["changes"]
    second = _bootstrap(path)
    assert second["changes"] == first
    assert second["refusals"] == []


def test_what_the_console_created_is_imported_not_recreated(new_project: NewProject) -> None:
    state = _bootstrap(new_project(cloud.console_created))
    assert state["refusals"] == []
    for address in (
        "google_firestore_database.default",
        "google_firebaserules_release.firestore",
        "google_identity_platform_config.auth",
    ):
        assert f"import {address}" in state["changes"]
        assert f"create {address}" not in state["changes"]
    assert set(state["tf_state"]) == set(state["config"]["resources"])


def _without(*names: str) -> list[Step]:
    assert set(names) <= {s.name for s in STEPS}
    return [s for s in STEPS if s.name not in names]


def _moved_after(name: str, after: str) -> list[Step]:
    """`name` runs right after `after` instead of where it is."""
    step = next(s for s in STEPS if s.name == name)
    rest = [s for s in STEPS if s is not step]
    at = [s.name for s in rest].index(after) + 1
    return [*rest[:at], step, *rest[at:]]


def _unchanged(state: dict[str, Any]) -> dict[str, Any]:
    return state


def _set_up_by_hand(state: dict[str, Any]) -> dict[str, Any]:
    """The one-time setup run by hand with gcloud, which enables the APIs its own commands call
    (IAM, Resource Manager) and nothing else."""
    state["apis"] += ["iam.googleapis.com", "cloudresourcemanager.googleapis.com"]
    return state


def _no_quota_project(state: dict[str, Any]) -> dict[str, Any]:
    """terraform/ as if its provider blocks had no user_project_override."""
    state["config"]["quota_project"] = False
    return state


def _secrets_not_waiting_for_apis(state: dict[str, Any]) -> dict[str, Any]:
    """terraform/ as if the secret containers had no depends_on on the APIs."""
    state["config"]["resources"]["google_secret_manager_secret.secret"]["deps"].remove(SERVICES)
    return state


FULL_APPLY = "apply everything but the alert policies"
KEY = "add the signed-URL key to the media backend bucket"
STATE_BUCKET = (
    "create the state bucket",
    "version the state bucket",
    next(s.name for s in STEPS if s.name.startswith("grant roles/storage.objectViewer on gs://")),
)
BROKEN: dict[str, tuple[list[Step], str, Prepare]] = {
    "pipeline APIs before terraform": (
        _without("enable the APIs the pipeline and Terraform need"),
        "pipeline-apis",
        _set_up_by_hand,
    ),
    "state bucket before init": (_without(*STATE_BUCKET), "state-bucket", _unchanged),
    "init before terraform": (_without("terraform init"), "not-initialized", _unchanged),
    "pool before provider": (_without("create the workload identity pool"), "wif-pool-missing", _unchanged),
    "service account before its grants": (
        _without("create the deployer service account"),
        "sa-missing",
        _unchanged,
    ),
    "secret containers before versions": (
        _without("enable the APIs and create the secret containers"),
        "secret-container-missing",
        _unchanged,
    ),
    "secret versions before functions": (
        _moved_after("add a version to stripe-api-key", FULL_APPLY),
        "secret-no-version",
        _unchanged,
    ),
    "every secret has a version": (
        _without("add a version to stripe-webhook-secret"),
        "secret-no-version",
        _unchanged,
    ),
    "rules release imported, not created": (
        _without("import google_firebaserules_release.firestore"),
        "rules-release-exists",
        _unchanged,
    ),
    "rules release imported after the database exists": (
        _moved_after("import google_firebaserules_release.firestore", "import google_firestore_database.default"),
        "rules-release-exists",
        _unchanged,
    ),
    "backend bucket before its signed-URL key": (
        _moved_after(KEY, "add a version to cdn-signing-key"),
        "backend-bucket-missing",
        _unchanged,
    ),
    "signed-URL key before the fill agent's grant": (_without(KEY), "cdn-fill-agent-missing", _unchanged),
    "signed-URL key before the full apply": (
        _moved_after(KEY, FULL_APPLY),
        "cdn-fill-agent-missing",
        _unchanged,
    ),
    "alert policies a pass after their metrics": (_without(FULL_APPLY), "metric-too-new", _unchanged),
    "Firebase APIs billed to a quota project": (STEPS, "quota-project", _no_quota_project),
    "resources wait for their API": (STEPS, "api-race", _secrets_not_waiting_for_apis),
    "database imported when the console created it": (
        _without("import google_firestore_database.default"),
        "already-exists",
        cloud.console_created,
    ),
    "Identity Platform imported when enabled by hand": (
        _without("import google_identity_platform_config.auth"),
        "initialize-auth",
        cloud.console_created,
    ),
}


def _after_setup(new_project: NewProject, prepare: Prepare, set_up: dict[str, dict[str, Any]]) -> Path:
    """A project as the unchanged one-time setup leaves it, computed once per preparation."""
    if prepare.__name__ not in set_up:
        set_up[prepare.__name__] = _bootstrap(new_project(prepare), SETUP)
    return new_project(lambda _: copy.deepcopy(set_up[prepare.__name__]))


def test_a_project_set_up_by_hand_gets_the_pipeline_apis(new_project: NewProject) -> None:
    state = _bootstrap(new_project(_set_up_by_hand))
    assert state["refusals"] == []
    assert {"iamcredentials.googleapis.com", "sts.googleapis.com"} <= set(state["apis"])


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_a_step_missing_or_out_of_order_fails_the_run(
    new_project: NewProject, set_up_projects: dict[str, dict[str, Any]], broken: str
) -> None:
    steps, rule, prepare = BROKEN[broken]
    if steps[: len(SETUP)] == SETUP:
        path, steps = _after_setup(new_project, prepare, set_up_projects), steps[len(SETUP) :]
    else:
        path = new_project(prepare)
    with pytest.raises(BootstrapError):
        _bootstrap(path, steps)
    assert rule in _read(path)["refusals"]
