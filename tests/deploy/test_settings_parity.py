"""Settings parity per deployed function: what its code reads in production (deploy/reach.py),
what lib/function_settings.yaml declares (and the function checks at start), and what Terraform
gives it (terraform/routes.tf, evaluated) are one set, with no exceptions."""

from __future__ import annotations

from typing import Any

import pytest

from deploy import reach
from lib import deployment, routing
from lib.config import LOCAL_ONLY
from tests.support import terraform as tf

DEPLOYED = sorted({(r.function, r.entry_point) for r in routing.routes() if r.function != "gateway"})
# functions-framework's own variable, read by its gunicorn (test_terraform.py checks it does).
RUNTIME_VARIABLES = {"THREADS"}


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tf.evaluate_locals(routing.ROUTES_FILE, tmp_path_factory.mktemp("console"))


def _given_by_terraform(terraform: Any, key: str) -> set[str]:
    plain = set(terraform["function_env"][key]) - RUNTIME_VARIABLES
    secrets = {terraform["secrets"][name]["env"] for name in terraform["function_secrets"][key]}
    assert not plain & secrets, f"{key}: a variable both plain and secret"
    return plain | secrets


def test_the_declaration_names_every_deployed_function_and_no_other() -> None:
    assert set(deployment.declared_settings()) == {f"{f}-{e}" for f, e in DEPLOYED}


@pytest.mark.parametrize(("function", "entry_point"), DEPLOYED)
def test_a_function_declares_exactly_the_settings_its_code_reads(function: str, entry_point: str) -> None:
    read = reach.settings_read(reach.reach(function, entry_point))
    declared = deployment.declared_settings()[f"{function}-{entry_point}"]
    assert declared == read, f"{deployment.SETTINGS_FILE.name}, {function}-{entry_point}: {sorted(read)}"


@pytest.mark.parametrize(("function", "entry_point"), DEPLOYED)
def test_terraform_gives_a_function_exactly_the_settings_it_reads(
    terraform: Any, function: str, entry_point: str
) -> None:
    key = f"{function}-{entry_point}"
    declared = {name.upper() for name in deployment.declared_settings()[key]}
    assert _given_by_terraform(terraform, key) == declared


@pytest.mark.parametrize(("function", "entry_point"), DEPLOYED)
def test_the_environment_terraform_gives_passes_the_start_check(
    terraform: Any, function: str, entry_point: str
) -> None:
    key = f"{function}-{entry_point}"
    secrets = {
        terraform["secrets"][name]["env"]: f"{name} from Secret Manager" for name in terraform["function_secrets"][key]
    }
    environ = terraform["function_env"][key] | secrets | {"FUNCTION_TARGET": entry_point, "K_SERVICE": key}
    assert deployment.deployment_problems(deployment.declared_settings()[key], environ) == []
    deployment.check_start(function, entry_point, environ)


def test_no_function_is_given_a_local_only_setting(terraform: Any) -> None:
    for key in terraform["functions"]:
        assert not {n.lower() for n in _given_by_terraform(terraform, key)} & LOCAL_ONLY
