"""terraform/ as a first deploy needs it (docs/deploy.md, "First deploy")."""

from __future__ import annotations

from tests.support import terraform as tf
from tests.support.standin_config import config_model
from tests.support.standin_terraform import KIND_APIS, SERVICES


def test_every_provider_bills_calls_to_the_project() -> None:
    # https://firebase.google.com/docs/projects/terraform/get-started: user_project_override.
    for block in tf.parsed()["provider"]:
        for name, body in block.items():
            assert body["user_project_override"] is True, name
            assert body["billing_project"] == "${var.project}", name


def test_the_firestore_database_location_is_a_required_variable() -> None:
    database = tf.resources()[("google_firestore_database", "default")]
    assert database["location_id"] == "${var.firestore_location}"
    variable = next(v["firestore_location"] for v in tf.parsed()["variable"] if "firestore_location" in v)
    assert "default" not in variable


def test_email_password_sign_in_is_enabled() -> None:
    email = tf.resources()[("google_identity_platform_config", "auth")]["sign_in"][0]["email"][0]
    assert email == {"enabled": True, "password_required": True}


def test_cloud_functions_images_have_a_cleanup_policy() -> None:
    repository = tf.resources()[("google_artifact_registry_repository", "gcf_artifacts")]
    assert repository["repository_id"] == "gcf-artifacts"
    assert {p["action"] for p in repository["cleanup_policies"]} == {"KEEP", "DELETE"}


def test_the_planner_reads_the_sources_bucket_only() -> None:
    grants = [
        body
        for (kind, _), body in tf.resources().items()
        if kind.startswith("google_storage_bucket_iam") and "planner@" in str(body.get("member"))
    ]
    assert [g["bucket"] for g in grants] == ["${google_storage_bucket.sources.name}"]


def _waits_for(address: str, dependency: str, resources: dict[str, dict[str, list[str]]]) -> bool:
    """Whether `address` refers, directly or through what it refers to, to `dependency`."""
    seen: set[str] = set()
    pending = [address]
    while pending:
        current = pending.pop()
        if current == dependency:
            return True
        if current not in seen:
            seen.add(current)
            pending.extend(resources[current]["deps"])
    return False


def test_every_resource_an_api_creates_waits_for_the_apis() -> None:
    """A plain `terraform apply` on a fresh project enables the APIs in the same run; a resource
    that does not wait for them is created against a disabled API and fails."""
    resources = config_model()["resources"]
    created_by_an_api = [a for a in resources if any(a.startswith(prefix) for prefix in KIND_APIS)]
    assert created_by_an_api
    assert [a for a in created_by_an_api if not _waits_for(a, SERVICES, resources)] == []


def test_indexes_and_field_settings_wait_for_the_database() -> None:
    resources = config_model()["resources"]
    fields = [a for a in resources if a.startswith(("google_firestore_index.", "google_firestore_field."))]
    assert fields
    assert [a for a in fields if not _waits_for(a, "google_firestore_database.default", resources)] == []
