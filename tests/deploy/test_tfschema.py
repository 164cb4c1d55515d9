"""deploy.tfschema: each kind of defect is reported at its file:line, a correct configuration
(dynamic blocks, meta-arguments, expressions) is not, and terraform/ of the repository passes.

The schema is the real one (.provider-schemas/@cdktf/provider-google, google provider 6.14.0), read
once per session."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from deploy import tfschema
from tests.support.terraform import TERRAFORM


def check(tmp_path: Path, hcl: str, name: str = "main.tf") -> list[str]:
    (tmp_path / name).write_text(textwrap.dedent(hcl).lstrip())
    return [str(f) for f in tfschema.Checker().check_directory(tmp_path)]


def test_misspelt_argument(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """
        resource "google_compute_global_address" "api" {
          name        = "api"
          descripton  = "typo"
        }
        """,
    )
    assert found == [
        f'{tmp_path}/main.tf:3: google_compute_global_address.api: unsupported argument "descripton" '
        '(did you mean "description"?)'
    ]


def test_misspelt_argument_in_a_nested_block(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """
        resource "google_compute_security_policy" "api" {
          name = "api"
          rule {
            action   = "allow"
            priority = 1
            match {
              versioned_expr = "SRC_IPS_V1"
              config {
                src_ip_range = ["*"]
              }
            }
          }
        }
        """,
    )
    assert found == [
        f'{tmp_path}/main.tf:9: google_compute_security_policy.api: unsupported argument "src_ip_range" '
        'in rule.match.config (did you mean "src_ip_ranges"?)',
        f'{tmp_path}/main.tf:8: google_compute_security_policy.api: missing required argument "src_ip_ranges" '
        "in rule.match.config",
    ]


def test_missing_required_argument(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """
        resource "google_service_account" "ok" {
          account_id = "ok"
        }

        resource "google_cloudfunctions2_function" "fn" {
          name = "fn"
          build_config {
            runtime = "python311"
          }
        }
        """,
    )
    assert found == [f'{tmp_path}/main.tf:5: google_cloudfunctions2_function.fn: missing required argument "location"']


def test_missing_required_argument_in_a_repeated_block(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """
        resource "google_cloudfunctions2_function" "fn" {
          name     = "fn"
          location = var.region
          service_config {
            secret_environment_variables {
              key        = "A"
              project_id = var.project
              secret     = "a"
            }
          }
        }
        """,
    )
    assert found == [
        f'{tmp_path}/main.tf:5: google_cloudfunctions2_function.fn: missing required argument "version" '
        "in service_config.secret_environment_variables"
    ]


def test_block_at_the_wrong_level(tmp_path: Path) -> None:
    # rate_limit_threshold belongs in rule.rate_limit_options, not in rule.
    found = check(
        tmp_path,
        """
        resource "google_compute_security_policy" "api" {
          name = "api"
          rule {
            action   = "throttle"
            priority = 2000
            match {
              versioned_expr = "SRC_IPS_V1"
              config {
                src_ip_ranges = ["*"]
              }
            }
            rate_limit_threshold {
              count        = 10
              interval_sec = 60
            }
          }
        }
        """,
    )
    assert found == [
        f'{tmp_path}/main.tf:12: google_compute_security_policy.api: unsupported block "rate_limit_threshold" in rule'
    ]


def test_single_block_given_twice(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """
        resource "google_cloudfunctions2_function" "fn" {
          name     = "fn"
          location = "europe-west1"
          build_config {
            runtime = "python311"
          }
          build_config {
            entry_point = "main"
          }
        }
        """,
    )
    assert found == [
        f'{tmp_path}/main.tf:7: google_cloudfunctions2_function.fn: block "build_config" may appear only once '
        "(first at line 4)"
    ]


def test_repeated_block_given_twice_is_fine(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """
        resource "google_compute_security_policy" "api" {
          name = "api"
          rule {
            action   = "deny(403)"
            priority = 1
            match {
              expr {
                expression = "true"
              }
            }
          }
          rule {
            action   = "allow"
            priority = 2
            match {
              versioned_expr = "SRC_IPS_V1"
              config {
                src_ip_ranges = ["*"]
              }
            }
          }
        }
        """,
    )
    assert found == []


def test_deprecated_argument(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """
        resource "google_gke_hub_feature_membership" "member" {
          location   = "global"
          feature    = "configmanagement"
          membership = "cluster"
          configmanagement {
            config_sync {
              metrics_gcp_service_account_email = "metrics@example.iam.gserviceaccount.com"
            }
          }
        }
        """,
    )
    assert len(found) == 1
    assert found[0].startswith(
        f"{tmp_path}/main.tf:7: google_gke_hub_feature_membership.member: argument "
        '"metrics_gcp_service_account_email" in configmanagement.config_sync is deprecated: '
        "If Workload Identity Federation for GKE is enabled"
    )


def test_unknown_resource_and_data_source_types(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """
        data "google_projct" "this" {}

        resource "google_cloud_function2" "fn" {
          name = "fn"
        }
        """,
        name="types.tf",
    )
    assert found == [
        f'{tmp_path}/types.tf:1: data.google_projct.this: unknown data source type "google_projct" in '
        'hashicorp/google 6.14.0 (did you mean "google_project"?)',
        f'{tmp_path}/types.tf:3: google_cloud_function2.fn: unknown resource type "google_cloud_function2" in '
        'hashicorp/google 6.14.0 (did you mean "google_cloudfunctions_function"?)',
    ]


def test_argument_and_block_syntax_mixed_up(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """
        resource "google_storage_bucket" "b" {
          name       = "b"
          location   = "EU"
          versioning = { enabled = true }
          labels {
            team = "x"
          }
        }
        """,
    )
    assert found == [
        f'{tmp_path}/main.tf:4: google_storage_bucket.b: "versioning" is a block, not an argument',
        f'{tmp_path}/main.tf:5: google_storage_bucket.b: "labels" is an argument, not a block: write labels = ...',
    ]


def test_dynamic_blocks_meta_arguments_and_expressions_pass(tmp_path: Path) -> None:
    # A dynamic block stands for its block (so a required block is present) and its content is
    # checked; meta-arguments and lifecycle are Terraform's; values from expressions count.
    ok = """
        resource "google_identity_platform_config" "auth" {
          provider = google
          project  = var.project
          blocking_functions {
            dynamic "triggers" {
              for_each = local.blocking_functions
              content {
                event_type   = triggers.value
                function_uri = "https://${triggers.key}"
              }
            }
          }
          lifecycle {
            prevent_destroy = true
          }
          depends_on = [google_project_service.enabled]
        }

        resource "google_service_account" "fn" {
          for_each   = toset(["a", "b"])
          account_id = each.key
        }
        """
    assert check(tmp_path, ok) == []
    bad = ok.replace("function_uri", "function_url")
    assert check(tmp_path, bad) == [
        f'{tmp_path}/main.tf:9: google_identity_platform_config.auth: unsupported argument "function_url" '
        'in blocking_functions.triggers (did you mean "function_uri"?)',
        f'{tmp_path}/main.tf:7: google_identity_platform_config.auth: missing required argument "function_uri" '
        "in blocking_functions.triggers",
    ]


def test_missing_required_block(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """
        resource "google_identity_platform_config" "auth" {
          blocking_functions {
            forward_inbound_credentials {
              id_token = true
            }
          }
        }
        """,
    )
    assert found == [
        f'{tmp_path}/main.tf:2: google_identity_platform_config.auth: missing required block "triggers" '
        "in blocking_functions"
    ]


def test_google_beta_resources_check_against_the_beta_schema(tmp_path: Path) -> None:
    # google_api_gateway_api exists only in google-beta.
    found = check(
        tmp_path,
        """
        resource "google_api_gateway_api" "beta" {
          provider = google-beta
          api_id   = "api"
        }

        resource "google_api_gateway_api" "ga" {
          api_id = "api"
        }
        """,
    )
    assert found == [
        f'{tmp_path}/main.tf:6: google_api_gateway_api.ga: unknown resource type "google_api_gateway_api" in '
        "hashicorp/google 6.14.0 (it is in hashicorp/google-beta: set provider = google-beta)"
    ]


def test_provider_version_must_match_the_schema(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """
        terraform {
          required_providers {
            google = {
              source  = "hashicorp/google"
              version = "= 6.20.0"
            }
          }
        }
        """,
    )
    assert found == [
        f'{tmp_path}/main.tf:3: required_providers.google: version "= 6.20.0" is not "= 6.14.0", the version '
        "of the schema in @cdktf/provider-google"
    ]


def test_cli_prints_findings_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.tf").write_text('resource "google_compute_global_address" "api" {\n  nam = "api"\n}\n')
    assert tfschema.main([str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f'{tmp_path}/main.tf:1: google_compute_global_address.api: missing required argument "name"',
        f'{tmp_path}/main.tf:2: google_compute_global_address.api: unsupported argument "nam" (did you mean "name"?)',
        "1 blocks checked, 2 findings",
    ]
    (tmp_path / "main.tf").write_text('resource "google_compute_global_address" "api" {\n  name = "api"\n}\n')
    assert tfschema.main([str(tmp_path)]) == 0
    assert capsys.readouterr().out == "1 blocks checked, 0 findings\n"


def test_repository_terraform_passes() -> None:
    findings = tfschema.Checker().check_directory(TERRAFORM)
    assert [str(f) for f in findings] == []
