"""terraform/ as a first deploy needs it (docs/deploy.md, "First deploy")."""

from __future__ import annotations

from tests.support import terraform as tf


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
