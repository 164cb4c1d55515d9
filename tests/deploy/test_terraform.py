"""terraform/: the wiring, asserted for whatever routes gateway/routes.yaml holds.

Two layers: the route-derived locals as Terraform computes them (terraform console on
terraform/routes.tf), for the repository's table and for a table with every route of docs/api.md
(so the scheduler, tasks and secret wiring is exercised before those rows merge); and the
resources as python-hcl2 parses them, which must be built from those locals.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import functions_framework
import pytest
import yaml

from lib import tasks
from lib.config import STAND_INS, Settings
from lib.routing import ROUTES_FILE
from tests.support import terraform as tf

# Every route of docs/api.md, with entry points as the concerns may name them.
FULL_TABLE = """
routes:
  - {name: healthz, method: GET, path: /healthz, function: gateway, entry_point: gateway, auth: none}
  - {name: me_get, method: GET, path: /v1/me, function: auth_hooks, entry_point: me, auth: user_revoked}
  - {name: me_patch, method: PATCH, path: /v1/me, function: auth_hooks, entry_point: me, auth: user_revoked}
  - {name: me_delete, method: DELETE, path: /v1/me, function: auth_hooks, entry_point: me, auth: user_revoked}
  - {name: bc, method: POST, path: /internal/auth/before-create, function: auth_hooks, entry_point: before_create,
     auth: identity_platform}
  - {name: bs, method: POST, path: /internal/auth/before-sign-in, function: auth_hooks, entry_point: before_sign_in,
     auth: identity_platform}
  - {name: checkin, method: POST, path: /v1/checkins, function: streaks, entry_point: checkins, auth: user}
  - {name: streak, method: GET, path: /v1/streak, function: streaks, entry_point: streak, auth: user}
  - {name: reminder, method: PUT, path: /v1/reminder, function: reminders, entry_point: settings, auth: user}
  - {name: device_put, method: PUT, path: "/v1/devices/{installation_id}", function: reminders, entry_point: devices,
     auth: user}
  - {name: device_del, method: DELETE, path: "/v1/devices/{installation_id}", function: reminders,
     entry_point: devices, auth: user}
  - {name: checkout, method: POST, path: /v1/billing/checkout-session, function: stripe_webhook,
     entry_point: checkout_session, auth: user_revoked}
  - {name: portal, method: POST, path: /v1/billing/portal-session, function: stripe_webhook,
     entry_point: portal_session, auth: user_revoked}
  - {name: entitlement, method: GET, path: /v1/entitlement, function: stripe_webhook, entry_point: entitlement,
     auth: user}
  - {name: catalogue, method: GET, path: /v1/content, function: content_urls, entry_point: catalogue, auth: user}
  - {name: access, method: POST, path: "/v1/content/{content_id}/access", function: content_urls,
     entry_point: access, auth: user}
  - {name: webhook, method: POST, path: /stripe/webhook, function: stripe_webhook, entry_point: webhook, auth: stripe}
  - {name: tick, method: POST, path: /internal/reminders/tick, function: reminders, entry_point: tick, auth: internal}
  - {name: send, method: POST, path: /internal/reminders/send, function: reminders, entry_point: send_batch,
     auth: internal}
  - {name: sweep, method: POST, path: /internal/reminders/sweep, function: reminders, entry_point: sweep,
     auth: internal}
  - {name: reconcile, method: POST, path: /internal/billing/reconcile, function: stripe_webhook,
     entry_point: reconcile, auth: internal}
"""

# FCM's default project quota: 600,000 messages per minute.
FCM_MESSAGES_PER_SECOND = 600_000 / 60
SERVICE_ACCOUNT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")


def _full_table(folder: Path) -> tuple[Path, Path]:
    """The full table and a settings file naming one setting for each of its functions."""
    routes, settings_file = folder / "routes.yaml", folder / "function_settings.yaml"
    routes.write_text(FULL_TABLE)
    keys = {key_of(r) for r in cloud_rows(yaml.safe_load(FULL_TABLE)["routes"])}
    settings_file.write_text(yaml.safe_dump({key: ["environment"] for key in sorted(keys)}))
    return routes, settings_file


@pytest.fixture(scope="module", params=["repository", "full"])
def table(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Any], Any]:
    """(route rows, evaluated locals) for the repository's table and for the full docs/api.md table."""
    if request.param == "repository":
        source, settings_file = ROUTES_FILE, None
    else:
        source, settings_file = _full_table(tmp_path_factory.mktemp("table"))
    rows = yaml.safe_load(source.read_text())["routes"]
    return rows, tf.evaluate_locals(source, tmp_path_factory.mktemp("console"), settings_file)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Any:
    routes, settings_file = _full_table(tmp_path_factory.mktemp("full"))
    return tf.evaluate_locals(routes, tmp_path_factory.mktemp("console"), settings_file)


def key_of(row: dict[str, Any]) -> str:
    return f"{row['function']}-{row['entry_point']}"


def cloud_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["function"] != "gateway"]


def template_matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{\w+=\\\*\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


# --- the route table → functions, NEGs, backend services, URL map -------------------------------


def test_every_route_has_a_function_serving_its_path(table: tuple[list[Any], Any]) -> None:
    rows, evaluated = table
    for row in cloud_rows(rows):
        function = evaluated["functions"][key_of(row)]
        assert row["path"] in function["paths"]
        assert (function["concern"], function["entry_point"]) == (row["function"], row["entry_point"])


def test_gateway_routes_are_not_deployed(table: tuple[list[Any], Any]) -> None:
    _, evaluated = table
    assert all(f["concern"] != "gateway" for f in evaluated["functions"].values())


def test_every_function_comes_from_the_route_table(table: tuple[list[Any], Any]) -> None:
    rows, evaluated = table
    assert set(evaluated["functions"]) == {key_of(r) for r in cloud_rows(rows)}


def test_every_app_route_path_has_a_url_map_rule_to_its_function(table: tuple[list[Any], Any]) -> None:
    """Internal and blocking routes are called at run.app, never through the load balancer."""
    rows, evaluated = table
    rules = {rule["path"]: rule for rule in evaluated["url_rules"]}
    for row in cloud_rows(rows):
        if row["auth"] in ("internal", "pubsub_push", "identity_platform"):
            assert row["path"] not in rules
            continue
        rule = rules[row["path"]]
        assert rule["function"] == key_of(row)
        if "{" in row["path"]:
            assert rule["full_path"] is None
            assert template_matches(rule["path_template"], re.sub(r"\{\w+\}", "some-id", row["path"]))
        else:
            assert (rule["full_path"], rule["path_template"]) == (row["path"], None)


def test_url_map_rules_have_distinct_priorities(table: tuple[list[Any], Any]) -> None:
    _, evaluated = table
    priorities = [rule["priority"] for rule in evaluated["url_rules"]]
    assert len(priorities) == len(set(priorities))
    assert max(priorities) < 1000  # /media/ has priority 1000


def test_each_path_belongs_to_one_function_because_the_url_map_routes_by_path_only(
    table: tuple[list[Any], Any],
) -> None:
    _, evaluated = table
    for path, keys in evaluated["functions_by_path"].items():
        assert len(set(keys)) == 1, f"{path} is served by {sorted(set(keys))}"


def test_functions_negs_and_backend_services_are_one_per_function(resources: dict[Any, Any]) -> None:
    function = resources[("google_cloudfunctions2_function", "fn")]
    neg = resources[("google_compute_region_network_endpoint_group", "fn")]
    backend = resources[("google_compute_backend_service", "fn")]
    for body in (function, neg, backend):
        assert body["for_each"] == "${local.functions}"
    assert function["build_config"][0]["entry_point"] == "${each.value.entry_point}"
    source = function["build_config"][0]["source"][0]["storage_source"][0]
    assert source["object"] == "${google_storage_bucket_object.source[each.value.concern].name}"
    assert neg["network_endpoint_type"] == "SERVERLESS"
    assert neg["cloud_run"][0]["service"] == "${google_cloudfunctions2_function.fn[each.key].name}"
    assert backend["backend"][0]["group"] == "${google_compute_region_network_endpoint_group.fn[each.key].id}"
    assert backend["security_policy"] == "${google_compute_security_policy.api.id}"


def test_url_map_has_a_rule_per_url_rule_and_media_on_the_cdn_bucket(table: tuple[list[Any], Any]) -> None:
    _, evaluated = table
    rules = evaluated["url_map"]["path_matchers"]["routes"]["route_rules"]
    assert [(r["priority"], r["service"]) for r in rules[:-1]] == [
        (rule["priority"], f"function:{rule['function']}") for rule in evaluated["url_rules"]
    ]
    assert [
        r["match_rules"][0]["full_path_match"] or r["match_rules"][0]["path_template_match"] for r in rules[:-1]
    ] == [rule["full_path"] or rule["path_template"] for rule in evaluated["url_rules"]]
    media = rules[-1]
    assert media["match_rules"][0]["prefix_match"] == "/media/"
    assert media["service"] == "bucket:media"


def test_routes_locals_read_the_route_table_the_gateway_serves() -> None:
    text = (tf.TERRAFORM / "routes.tf").read_text()
    assert 'yamldecode(file("${path.module}/../gateway/routes.yaml"))' in text
    assert (tf.TERRAFORM / ".." / "gateway" / "routes.yaml").resolve() == ROUTES_FILE


# --- service accounts and invokers ----------------------------------------------------------


def test_no_two_functions_share_a_service_account(table: tuple[list[Any], Any], resources: dict[Any, Any]) -> None:
    _, evaluated = table
    ids = [f["account_id"] for f in evaluated["functions"].values()]
    assert len(ids) == len(set(ids))
    assert all(SERVICE_ACCOUNT_ID.match(i) for i in ids), ids
    account = resources[("google_service_account", "function")]
    assert (account["for_each"], account["account_id"]) == ("${local.functions}", "${each.value.account_id}")
    service = resources[("google_cloudfunctions2_function", "fn")]["service_config"][0]
    assert service["service_account_email"] == "${google_service_account.function[each.key].email}"


def test_only_public_functions_are_invokable_by_all_users(resources: dict[Any, Any]) -> None:
    public = resources[("google_cloud_run_service_iam_member", "public")]
    assert public["member"] == "allUsers"
    assert 'if !contains(["internal", "pubsub_push"], f.access)' in public["for_each"]


def test_internal_functions_are_invokable_only_by_their_callers(full: Any) -> None:
    callers = {(i["function"], i["caller"]) for i in full["internal_invokers"].values()}
    assert callers == {
        ("reminders-tick", "scheduler"),
        ("reminders-sweep", "scheduler"),
        ("stripe_webhook-reconcile", "scheduler"),
        ("reminders-send_batch", "tasks"),
    }


def test_internal_invoker_bindings_come_from_the_internal_invokers(resources: dict[Any, Any]) -> None:
    binding = resources[("google_cloud_run_service_iam_member", "internal")]
    assert binding["for_each"] == "${local.internal_invokers}"
    assert binding["role"] == "roles/run.invoker"
    assert "google_service_account.scheduler.email" in binding["member"]
    assert "google_service_account.tasks.email" in binding["member"]


def test_app_functions_take_traffic_only_from_the_load_balancer(resources: dict[Any, Any]) -> None:
    service = resources[("google_cloudfunctions2_function", "fn")]["service_config"][0]
    assert service["ingress_settings"] == (
        '${each.value.access == "identity_platform" ? "ALLOW_ALL" : "ALLOW_INTERNAL_AND_GCLB"}'
    )


def test_every_function_has_memory_and_max_instances(table: tuple[list[Any], Any]) -> None:
    _, evaluated = table
    for key in evaluated["functions"]:
        config = evaluated["function_config"][key]
        assert config["memory"].endswith("Mi")
        assert 0 < config["max_instances"] <= 100


def test_every_build_runs_as_the_build_account_which_writes_build_logs(resources: dict[Any, Any]) -> None:
    """A build that fails must leave a log to read (the app this replaces failed builds silently)."""
    function = resources[("google_cloudfunctions2_function", "fn")]
    assert function["build_config"][0]["service_account"] == "${google_service_account.build.id}"
    roles = resources[("google_project_iam_member", "build")]
    assert roles["member"] == "serviceAccount:${google_service_account.build.email}"
    assert roles["for_each"].startswith("${toset([")
    granted = set(re.findall(r'"([^"]+)"', roles["for_each"]))
    assert {"roles/logging.logWriter", "roles/artifactregistry.writer"} <= granted


def test_the_build_account_holds_object_admin_only_on_the_source_buckets(resources: dict[Any, Any]) -> None:
    project_roles = resources[("google_project_iam_member", "build")]["for_each"]
    assert "storage" not in project_roles
    objects = resources[("google_project_iam_member", "build_objects")]
    assert (objects["role"], objects["member"]) == (
        "roles/storage.objectAdmin",
        "serviceAccount:${google_service_account.build.email}",
    )
    assert "resource.name.startsWith" in objects["condition"][0]["expression"]
    assert "local.build_bucket_prefixes" in objects["condition"][0]["expression"]
    prefixes = tf.locals_as_parsed()["build_bucket_prefixes"]
    assert prefixes[0] == "${google_storage_bucket.sources.name}"
    assert all(p.startswith(("gcf-v2-sources-", "gcf-v2-uploads-")) for p in prefixes[1:])


def test_only_the_tick_enqueues_tasks_and_only_the_sender_sends_fcm(repository: Any) -> None:
    holders = {
        role: {key for key, config in repository["function_config"].items() if role in config["roles"]}
        for role in ("roles/cloudtasks.enqueuer", "roles/firebasecloudmessaging.admin")
    }
    assert holders == {
        "roles/cloudtasks.enqueuer": {"reminders-tick"},
        "roles/firebasecloudmessaging.admin": {"reminders-send_batch"},
    }
    assert repository["tasks_enqueuers"] == ["reminders-tick"]


def test_act_as_on_the_tasks_account_goes_to_the_enqueuers_only(resources: dict[Any, Any]) -> None:
    binding = resources[("google_service_account_iam_member", "tasks_act_as")]
    assert binding["for_each"] == "${toset(local.tasks_enqueuers)}"
    assert binding["member"] == "serviceAccount:${google_service_account.function[each.value].email}"


def test_no_function_gets_a_project_wide_secret_role(table: tuple[list[Any], Any]) -> None:
    _, evaluated = table
    assert all("secretmanager" not in b["role"] for b in evaluated["role_bindings"].values())


# --- secrets ------------------------------------------------------------------------------------


def test_every_secret_is_read_only_by_its_functions(repository: Any) -> None:
    readers: dict[str, set[str]] = {}
    for binding in repository["secret_readers"].values():
        readers.setdefault(binding["secret"], set()).add(binding["function"])
    assert readers == {
        "stripe-api-key": {
            "auth_hooks-me",
            "stripe_webhook-app_store",
            "stripe_webhook-billing",
            "stripe_webhook-webhook",
            "stripe_webhook-reconcile",
            "stripe_webhook-google_play",
        },
        "stripe-webhook-secret": {"stripe_webhook-webhook"},
        "cdn-signing-key": {"content_urls-content"},
        "app-store-private-key": {"stripe_webhook-app_store", "stripe_webhook-billing"},
        "app-store-key-id": {"stripe_webhook-app_store", "stripe_webhook-billing"},
        "app-store-issuer-id": {"stripe_webhook-app_store", "stripe_webhook-billing"},
        "google-play-service-account-key": {"stripe_webhook-google_play", "stripe_webhook-billing"},
    }


def test_secret_access_is_granted_per_secret_and_function(resources: dict[Any, Any]) -> None:
    reader = resources[("google_secret_manager_secret_iam_member", "reader")]
    assert reader["for_each"] == "${local.secret_readers}"
    assert reader["member"] == "serviceAccount:${google_service_account.function[each.value.function].email}"
    service = resources[("google_cloudfunctions2_function", "fn")]["service_config"][0]
    assert (
        service["dynamic"][0]["secret_environment_variables"]["for_each"]
        == "${toset(local.function_secrets[each.key])}"
    )
    assert service["environment_variables"] == "${local.function_env[each.key]}"


def test_secret_values_are_never_in_code_or_state(full: Any) -> None:
    text = "\n".join(p.read_text() for p in tf.TERRAFORM.glob("*.tf"))
    assert "google_secret_manager_secret_version" not in text
    assert "secret_data" not in text
    assert "signed_url_key" not in re.sub(r"#.*", "", text)
    assert set(full["secrets"]) == {
        "stripe-api-key",
        "stripe-webhook-secret",
        "cdn-signing-key",
        "app-store-private-key",
        "app-store-key-id",
        "app-store-issuer-id",
        "google-play-service-account-key",
    }


def test_secret_environment_variables_are_the_ones_settings_reads(full: Any) -> None:
    fields = set(Settings.model_fields)
    assert {s["env"].lower() for s in full["secrets"].values()} <= fields
    assert {s["env"].lower() for s in full["secrets"].values()} <= STAND_INS


# --- queue and scheduler ------------------------------------------------------------------------


def test_tasks_queue_has_rate_limits_below_the_fcm_quota(resources: dict[Any, Any], repository: Any) -> None:
    queue = resources[("google_cloud_tasks_queue", "reminders")]
    limits = queue["rate_limits"][0]
    batch = Settings.model_fields["reminders_batch_size"].default
    assert limits["max_dispatches_per_second"] * batch <= FCM_MESSAGES_PER_SECOND / 2
    assert 0 < limits["max_concurrent_dispatches"] <= 50
    assert queue["name"] == Settings.model_fields["reminders_queue"].default
    # Every dispatch finds a send instance free (each serves one batch at a time).
    sender = repository["function_config"]["reminders-send_batch"]
    assert limits["max_concurrent_dispatches"] < sender["max_instances"] * sender["concurrency"]


def test_tasks_queue_retries_with_backoff_as_often_as_the_sender_expects(
    resources: dict[Any, Any], repository: Any
) -> None:
    retry = resources[("google_cloud_tasks_queue", "reminders")]["retry_config"][0]
    assert retry["max_attempts"] == "${local.reminders_max_attempts}"
    assert repository["function_env"]["reminders-send_batch"]["REMINDERS_MAX_ATTEMPTS"] == "5"
    assert int(retry["min_backoff"].rstrip("s")) < int(retry["max_backoff"].rstrip("s"))
    assert retry["max_doublings"] > 0


def test_every_scheduler_job_uses_oidc_of_the_scheduler_account(resources: dict[Any, Any], full: Any) -> None:
    jobs = [body for (kind, _), body in resources.items() if kind == "google_cloud_scheduler_job"]
    assert jobs
    for job in jobs:
        target = job["http_target"][0]
        assert "oauth_token" not in target
        assert target["oidc_token"][0]["audience"]
    assert (
        "scheduler_service_account        = google_service_account.scheduler.email"
        in (tf.TERRAFORM / "functions.tf").read_text()
    )
    for target in full["scheduler_targets"].values():
        assert target["service_account"] == tf.DEPLOYMENT_STAND_INS["scheduler_service_account"]


def test_each_internal_function_checks_the_audience_and_caller_its_tokens_carry(
    resources: dict[Any, Any], repository: Any
) -> None:
    """Scheduler jobs name the function's URL as audience; tasks name the origin of their target
    (lib/tasks.py); the function is given that URL and the account that calls it."""
    job = resources[("google_cloud_scheduler_job", "job")]["http_target"][0]["oidc_token"][0]
    assert job["audience"] == "${local.scheduler_targets[each.key].oidc_audience}"
    env = repository["function_env"]
    for name, scheduled in repository["scheduled"].items():
        key = scheduled["function"]
        assert repository["scheduler_targets"][name]["oidc_audience"] == repository["function_urls"][key]
        assert env[key]["INTERNAL_AUDIENCE"] == repository["function_urls"][key]
        assert env[key]["INTERNAL_CALLERS"] == tf.DEPLOYMENT_STAND_INS["scheduler_service_account"]
    sender = repository["tasks_target_function"]
    assert env[sender]["INTERNAL_AUDIENCE"] == tasks.oidc_audience(env["reminders-tick"]["REMINDERS_TASK_TARGET"])
    assert env[sender]["INTERNAL_AUDIENCE"] == repository["function_urls"][sender]
    assert env[sender]["INTERNAL_CALLERS"] == tf.DEPLOYMENT_STAND_INS["reminders_task_service_account"]


def test_scheduler_jobs_cover_tick_sweep_and_reconcile(full: Any) -> None:
    jobs = {name: (job["path"], job["function"]) for name, job in full["scheduled"].items()}
    assert jobs == {
        "reminders-tick": ("/internal/reminders/tick", "reminders-tick"),
        "reminders-sweep": ("/internal/reminders/sweep", "reminders-sweep"),
        "billing-reconcile": ("/internal/billing/reconcile", "stripe_webhook-reconcile"),
    }
    assert full["scheduler_jobs"]["reminders-tick"]["schedule"] == "*/5 * * * *"


def test_scheduled_and_queued_routes_are_internal(table: tuple[list[Any], Any]) -> None:
    _, evaluated = table
    targets = {job["function"] for job in evaluated["scheduled"].values()}
    if evaluated["tasks_target_function"]:
        targets.add(evaluated["tasks_target_function"])
    for key in targets:
        assert evaluated["functions"][key]["access"] == "internal"


def test_scheduler_jobs_exist_only_for_routes_in_the_table(table: tuple[list[Any], Any]) -> None:
    rows, evaluated = table
    paths = {r["path"] for r in rows}
    assert {job["path"] for job in evaluated["scheduled"].values()} == {
        job["path"] for job in evaluated["scheduler_jobs"].values() if job["path"] in paths
    }


# --- Identity Platform, Firestore, alerts, Cloud Armor, providers -------------------------------


def test_identity_platform_registers_the_blocking_functions(table: tuple[list[Any], Any]) -> None:
    rows, evaluated = table
    expected = {key_of(r): r["entry_point"] for r in rows if r["auth"] == "identity_platform"}
    events = {"before_create": "beforeCreate", "before_sign_in": "beforeSignIn"}
    assert evaluated["blocking_functions"] == {key: events[ep] for key, ep in expected.items()}


def test_identity_platform_triggers_point_at_the_functions(resources: dict[Any, Any], repository: Any) -> None:
    blocking = resources[("google_identity_platform_config", "auth")]["blocking_functions"][0]
    triggers = blocking["dynamic"][0]["triggers"]
    assert triggers["for_each"] == "${local.blocking_triggers}"
    # The blocking JWT's audience is the registered URI, and firebase-functions accepts a 2nd-gen
    # token only when it names run.app (test_blocking_token_audience.py pins that): the Cloud Run
    # URL, never the cloudfunctions.net `url`.
    assert triggers["content"][0]["function_uri"] == "${triggers.value.function_uri}"
    for trigger in repository["blocking_triggers"].values():
        assert ".run.app/" in trigger["function_uri"]


def test_firestore_ttl_policies_on_event_send_batch_notice_checkout_and_tombstone_records(
    full: Any, resources: dict[Any, Any]
) -> None:
    assert full["ttl_fields"] == {
        "stripe_events": "expire_at",
        "google_play_notifications": "expire_at",
        "reminder_sends": "expire_at",
        "reminder_batches": "expire_at",
        "account_notices": "expire_at",
        "checkout_attempts": "expire_at",
        "deleted_accounts": "expire_at",
        "app_store_notifications": "expire_at",
    }
    field = resources[("google_firestore_field", "ttl")]
    assert field["for_each"] == "${local.ttl_fields}"
    assert "ttl_config" in field


def test_firestore_indexes_come_from_the_index_file() -> None:
    assert 'jsondecode(file("${path.module}/../firestore.indexes.json"))' in (tf.TERRAFORM / "routes.tf").read_text()


def test_alerts_fire_on_reminder_and_webhook_errors(resources: dict[Any, Any]) -> None:
    metric = resources[("google_logging_metric", "alert")]
    assert "severity>=ERROR" in metric["filter"]
    policy = resources[("google_monitoring_alert_policy", "alert")]
    condition = policy["conditions"][0]["condition_threshold"][0]
    assert "google_logging_metric.alert[each.key].name" in condition["filter"]
    concerns = {a["concern"] for a in tf.locals_as_parsed()["log_alerts"].values()}
    assert concerns == {"reminders", "stripe_webhook"}


def test_cloud_armor_rate_rules_answer_429_and_billing_is_strictest(resources: dict[Any, Any]) -> None:
    rules = resources[("google_compute_security_policy", "api")]["rule"]
    throttles = [r for r in rules if r["action"] == "throttle"]
    assert len(throttles) >= 3
    for rule in throttles:
        assert rule["rate_limit_options"][0]["exceed_action"] == "deny(429)"
    per_minute = {
        r["description"]: r["rate_limit_options"][0]["rate_limit_threshold"][0]["count"]
        * 60
        / r["rate_limit_options"][0]["rate_limit_threshold"][0]["interval_sec"]
        for r in throttles
    }
    assert per_minute["Billing sessions per IP"] == min(per_minute.values())
    assert per_minute["Writes per IP"] < per_minute["App routes per IP"]


def test_every_cloud_armor_rate_limit_is_per_client_ip(resources: dict[Any, Any]) -> None:
    """A key the client picks (a header) gives every made-up value a fresh budget."""
    throttles = [r for r in resources[("google_compute_security_policy", "api")]["rule"] if r["action"] == "throttle"]
    assert {r["rate_limit_options"][0]["enforce_on_key"] for r in throttles} == {"IP"}


def test_cloud_armor_rules_come_before_the_rate_limits_they_would_skip(resources: dict[Any, Any]) -> None:
    policy = resources[("google_compute_security_policy", "api")]
    waf = policy["dynamic"][0]["rule"]["for_each"]
    throttles = [r["priority"] for r in policy["rule"] if r["action"] == "throttle"]
    assert max(int(p) for p in waf) < min(throttles)


def test_provider_versions_are_pinned() -> None:
    terraform = tf.parsed()["terraform"][0]
    providers = terraform["required_providers"][0]
    assert set(providers) == {"google", "google-beta"}
    for spec in providers.values():
        assert re.fullmatch(r"= \d+\.\d+\.\d+", spec["version"])


def test_function_sources_are_the_packaged_zips(resources: dict[Any, Any]) -> None:
    source = resources[("google_storage_bucket_object", "source")]
    assert source["source"] == "${path.module}/../dist/${each.value}.zip"
    assert "filemd5" in source["name"]


def test_per_function_settings_name_deployed_functions(repository: Any) -> None:
    assert set(repository["function_settings"]) <= set(repository["functions"])


def test_firestore_rules_are_released_from_the_file_the_emulator_enforces(resources: dict[Any, Any]) -> None:
    ruleset = resources[("google_firebaserules_ruleset", "firestore")]
    files = ruleset["source"][0]["files"][0]
    assert files["content"] == '${file("${path.module}/../firestore.rules")}'
    release = resources[("google_firebaserules_release", "firestore")]
    assert release["ruleset_name"] == "projects/${var.project}/rulesets/${google_firebaserules_ruleset.firestore.name}"
    assert "cloud.firestore" in release["name"]
    assert "firebaserules.googleapis.com" in tf.locals_as_parsed()["services"]


def test_capacity_serves_many_simultaneous_users_per_function(repository: Any) -> None:
    """Concurrency 1 and 10 instances turned the eleventh simultaneous user away."""
    for key, function in repository["functions"].items():
        config = repository["function_config"][key]
        env = repository["function_env"][key]
        assert env["THREADS"] == str(config["concurrency"]), key
        if config["concurrency"] > 1:
            assert float(config["cpu"]) >= 1, f"{key}: Cloud Run allows concurrency above 1 only with a whole vCPU"
        if function["access"] != "internal":
            assert config["concurrency"] * config["max_instances"] >= 500, key


def test_functions_framework_reads_the_threads_variable_terraform_sets() -> None:
    """THREADS is the one variable of the runtime's own in each function's environment."""
    gunicorn = Path(functions_framework.__file__).parent / "_http" / "gunicorn.py"
    assert 'os.environ.get("THREADS"' in gunicorn.read_text()


@pytest.mark.parametrize(
    "path",
    [
        "terraform/terraform.tfstate",
        "terraform/terraform.tfstate.backup",
        "terraform/prod.tfvars",
        "terraform/.terraform/providers/x",
    ],
)
def test_terraform_state_variables_and_caches_are_never_committed(path: str) -> None:
    result = subprocess.run(["git", "check-ignore", "--quiet", "--no-index", path], cwd=tf.ROOT, check=False)
    assert result.returncode == 0, f"{path} is not ignored by .gitignore"
