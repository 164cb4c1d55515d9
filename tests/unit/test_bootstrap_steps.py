"""deploy/bootstrap_steps.py and deploy/bootstrap.py's pure parts: what each step runs and checks.
The order itself is tested against refusing stand-ins in tests/deploy/test_bootstrap.py."""

from __future__ import annotations

import base64

import pytest

from deploy.bootstrap import BootstrapError, new_cdn_key, settings_from_env
from deploy.bootstrap_steps import (
    ALERTS_HELD_BACK,
    CommandProbe,
    FromEnv,
    NewCdnKey,
    Settings,
    Step,
    bootstrap_steps,
)
from deploy.teardown import clear_triggers_call, teardown_commands

SETTINGS = Settings(
    project="wellness-prod",
    project_number="123456789012",
    region="europe-west1",
    repository="wellness/backend",
    repository_id="424242",
    state_bucket="wellness-prod-tfstate",
)
STEPS = bootstrap_steps(SETTINGS)


def _flag(step: Step, name: str) -> str:
    return next(arg.split("=", 1)[1] for arg in step.argv if arg.startswith(f"--{name}="))


def _applies() -> list[Step]:
    return [s for s in STEPS if s.argv[:3] == ("terraform", "-chdir=terraform", "apply")]


def test_step_names_are_unique() -> None:
    assert len({s.name for s in STEPS}) == len(STEPS)


def test_the_github_provider_trusts_the_repository_id_not_its_name() -> None:
    providers = [s for s in STEPS if "create-oidc" in s.argv or "update-oidc" in s.argv]
    assert len(providers) == 2
    for step in providers:
        assert _flag(step, "attribute-condition") == "assertion.repository_id == '424242'"
        assert "attribute.repository_id=assertion.repository_id" in _flag(step, "attribute-mapping")


def test_an_existing_provider_gets_the_repository_id_condition() -> None:
    update = next(s for s in STEPS if "update-oidc" in s.argv)
    assert isinstance(update.done, CommandProbe)
    assert update.done.expect == ("assertion.repository_id == '424242'",)


def test_the_planner_gets_no_project_wide_object_read() -> None:
    planner = "serviceAccount:planner@wellness-prod.iam.gserviceaccount.com"
    for step in STEPS:
        if "add-iam-policy-binding" in step.argv and step.argv[1] == "add-iam-policy-binding":
            assert (_flag(step, "role"), _flag(step, "member")) != ("roles/storage.objectViewer", planner)
    removal = next(s for s in STEPS if "remove-iam-policy-binding" in s.argv)
    assert (_flag(removal, "role"), _flag(removal, "member")) == ("roles/storage.objectViewer", planner)


def test_secret_values_reach_gcloud_on_stdin_only() -> None:
    versions = [s for s in STEPS if s.argv[1:4] == ("secrets", "versions", "add")]
    assert {s.argv[4] for s in versions} == {
        "stripe-api-key",
        "stripe-webhook-secret",
        "cdn-signing-key",
        "app-store-private-key",
        "app-store-key-id",
        "app-store-issuer-id",
        "google-play-service-account-key",
    }
    for step in versions:
        assert "--data-file=-" in step.argv
        assert isinstance(step.stdin, FromEnv | NewCdnKey)
        assert step.done is not None


def test_only_the_first_full_apply_holds_the_alert_policies_back() -> None:
    held_back = [s for s in _applies() if ALERTS_HELD_BACK in s.argv]
    assert len(held_back) == 1
    assert held_back[0].done is not None, "a later run would destroy the existing alert policies"
    assert not any(a.startswith("-target=") for a in held_back[0].argv)
    last = _applies()[-1]
    assert ALERTS_HELD_BACK not in last.argv
    assert not any(a.startswith(("-target=", "-var=")) for a in last.argv)


def test_every_import_runs_only_for_an_existing_unmanaged_object() -> None:
    imports = [s for s in STEPS if s.argv[2:3] == ("import",)]
    assert len(imports) == 4
    for step in imports:
        address = step.argv[-2]
        assert step.needed is not None
        assert step.done == CommandProbe(("terraform", "-chdir=terraform", "state", "list", address), (address,))


def test_every_gcloud_change_checks_first() -> None:
    for step in STEPS:
        if step.argv[0] == "gcloud":
            assert step.done is not None or step.needed is not None, step.name


def test_settings_name_the_missing_variables() -> None:
    with pytest.raises(BootstrapError, match="GITHUB_REPOSITORY, GITHUB_REPOSITORY_ID"):
        settings_from_env({"GCP_PROJECT": "p"}, "1")


def test_settings_default_the_state_bucket_to_the_project() -> None:
    env = {"GCP_PROJECT": "p", "GITHUB_REPOSITORY": "o/r", "GITHUB_REPOSITORY_ID": "7"}
    settings = settings_from_env(env, "1")
    assert settings.state_bucket == "p-tfstate"
    assert settings.tfvars == "prod.tfvars"


def test_a_new_cdn_key_is_16_random_bytes_base64url() -> None:
    key = new_cdn_key()
    assert len(base64.urlsafe_b64decode(key)) == 16
    assert key != new_cdn_key()


def test_teardown_clears_every_blocking_trigger_and_nothing_else() -> None:
    url, body = clear_triggers_call("wellness-prod")
    assert url.endswith("/admin/v2/projects/wellness-prod/config?updateMask=blockingFunctions.triggers")
    assert body == {"blockingFunctions": {"triggers": {}}}


def test_teardown_keeps_the_firestore_database_before_destroying() -> None:
    commands = teardown_commands("prod.tfvars")
    assert commands[0][-3:] == ["state", "rm", "google_firestore_database.default"]
    assert commands[-1][2] == "destroy"
    assert "-auto-approve" not in commands[-1]
