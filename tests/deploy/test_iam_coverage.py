"""IAM coverage per deployed function: the roles Terraform grants its service account, resolved
into permissions with Google's predefined roles (../shared/reference/gcp-iam), against the
permissions its code declares beside each Google API call (deploy/reach.py)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from deploy import reach
from lib import routing
from tests.support import terraform as tf

ROLES_FILE = tf.ROOT / "tests" / "data" / "gcp-iam" / "predefined_roles.json"
# The reference this copy was taken from, where the project's shared folder sits beside it.
SHARED_ROLES_FILE = tf.ROOT.parent / "shared" / "reference" / "gcp-iam" / "predefined_roles.json"
DEPLOYED = sorted({(r.function, r.entry_point) for r in routing.routes() if r.function != "gateway"})
# tasks.tf grants this role on the tasks account to each enqueuer, for actAs on that account only.
TASKS_ACT_AS_ROLE = "roles/iam.serviceAccountUser"


@functools.cache
def role_permissions() -> dict[str, frozenset[str]]:
    roles: dict[str, Any] = json.loads(Path(ROLES_FILE).read_text())
    return {name: frozenset(role["includedPermissions"]) for name, role in roles.items()}


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tf.evaluate_locals(routing.ROUTES_FILE, tmp_path_factory.mktemp("console"))


def granted_roles(terraform: Any, key: str) -> list[str]:
    roles = list(terraform["function_config"][key]["roles"])
    return [*roles, TASKS_ACT_AS_ROLE] if key in terraform["tasks_enqueuers"] else roles


def granted(terraform: Any, key: str) -> frozenset[str]:
    return frozenset().union(*(role_permissions()[role] for role in granted_roles(terraform, key)))


def test_the_roles_copy_is_the_shared_reference() -> None:
    if not SHARED_ROLES_FILE.exists():
        pytest.skip("the shared reference is not beside this checkout")
    assert json.loads(ROLES_FILE.read_text()) == json.loads(SHARED_ROLES_FILE.read_text())


def test_the_reference_holds_every_granted_role(terraform: Any) -> None:
    for key in terraform["functions"]:
        assert set(granted_roles(terraform, key)) <= set(role_permissions()), key


@pytest.mark.parametrize(("function", "entry_point"), DEPLOYED)
def test_a_function_holds_every_permission_its_code_needs(terraform: Any, function: str, entry_point: str) -> None:
    key = f"{function}-{entry_point}"
    missing = reach.permissions_needed(function, entry_point) - granted(terraform, key)
    assert not missing, f"{key} lacks {sorted(missing)} (roles: {granted_roles(terraform, key)})"


@pytest.mark.parametrize(("function", "entry_point"), DEPLOYED)
def test_every_role_a_function_holds_gives_it_something_it_needs(
    terraform: Any, function: str, entry_point: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Least privilege within predefined roles: no role is granted for nothing, and what the
    roles grant beyond the code's needs is listed (pytest -s shows it)."""
    key = f"{function}-{entry_point}"
    needed = reach.permissions_needed(function, entry_point)
    roles = granted_roles(terraform, key)
    for role in roles:
        others = frozenset().union(*(role_permissions()[r] for r in roles if r != role))
        assert role_permissions()[role] & needed - others, f"{key}: {role} gives nothing the code needs"
    with capsys.disabled():
        unused = sorted(granted(terraform, key) - needed)
        print(f"\n{key}: granted and needed by no code path ({len(unused)}): {', '.join(unused)}")


def test_a_token_check_with_revocation_needs_the_auth_lookup_permission() -> None:
    """streaks, content_urls and reminders verified tokens with check_revoked while holding only
    Datastore roles: every app route would have answered an error."""
    for function, entry_point in DEPLOYED:
        if any(r.auth == "user_revoked" for r in routing.routes_of(function, entry_point)):
            assert "firebaseauth.users.get" in reach.permissions_needed(function, entry_point)
