"""lib.deployment: a production-configured function refuses to start without its settings."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from lib import deployment, log
from lib.config import LOCAL_APP_STORE, LOCAL_ENDPOINTS, Settings

# What stripe_webhook-billing reads, given as Terraform gives it (secrets as stand-ins).
BILLING = {name.upper(): "x" for name in deployment.declared_settings()["stripe_webhook-billing"]} | {
    "ENVIRONMENT": "production",
    "GOOGLE_CLOUD_PROJECT": "wellness-prod",
    "STRIPE_API_KEY": "sk_live_stand_in",
    "STRIPE_PRICE_ID": "price_1Premium",
    "APP_RETURN_URL": "https://app.example/billing/done",
    "MAX_REQUEST_BYTES": "65536",
    "STRIPE_TIMEOUT_S": "10",
    "FUNCTION_TARGET": "billing",
}


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    logger = log.get_logger("deployment")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.getLogger("wellness").handlers[0].formatter)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_a_function_given_all_it_reads_starts() -> None:
    deployment.check_start("stripe_webhook", "billing", BILLING)


def test_each_missing_setting_is_one_error_line_and_the_start_is_refused(log_lines: io.StringIO) -> None:
    environ = {k: v for k, v in BILLING.items() if k not in ("STRIPE_PRICE_ID", "APP_RETURN_URL")}
    with pytest.raises(deployment.DeploymentError, match="STRIPE_PRICE_ID"):
        deployment.check_start("stripe_webhook", "billing", environ)
    entries = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    assert {e["severity"] for e in entries} == {"ERROR"}
    assert [e["message"] for e in entries] == [
        "stripe_webhook-billing cannot start: APP_RETURN_URL: not set",
        "stripe_webhook-billing cannot start: STRIPE_PRICE_ID: not set",
    ]


@pytest.mark.parametrize("name", ["stripe_price_id", "app_return_url", "stripe_api_key", "google_cloud_project"])
def test_a_local_stand_in_is_refused_in_production(name: str) -> None:
    environ = BILLING | {name.upper(): str(Settings.model_fields[name].default)}
    with pytest.raises(deployment.DeploymentError, match=f"{name.upper()}: still holds the local stand-in"):
        deployment.check_start("stripe_webhook", "billing", environ)


def test_local_mode_checks_nothing() -> None:
    deployment.check_start("stripe_webhook", "billing", {"ENVIRONMENT": "local"})
    deployment.check_start("stripe_webhook", "billing", {})


def test_only_the_entry_point_cloud_run_serves_checks_its_settings() -> None:
    deployment.check_start("stripe_webhook", "webhook", BILLING)


def test_production_without_function_target_is_refused() -> None:
    environ = {k: v for k, v in BILLING.items() if k != "FUNCTION_TARGET"}
    with pytest.raises(deployment.DeploymentError, match="FUNCTION_TARGET: not set"):
        deployment.check_start("stripe_webhook", "billing", environ)


def test_an_emulator_named_on_cloud_run_is_refused() -> None:
    """The Auth emulator checks no token signature: on Cloud Run it would let anyone in."""
    environ = BILLING | {"K_SERVICE": "stripe-webhook-billing", "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"}
    with pytest.raises(deployment.DeploymentError, match="FIREBASE_AUTH_EMULATOR_HOST: names a local emulator"):
        deployment.check_start("stripe_webhook", "billing", environ)


def test_a_replaced_google_endpoint_on_cloud_run_is_refused() -> None:
    """Certificates from anywhere but Google would let any key sign an internal caller's token."""
    environ = BILLING | {"K_SERVICE": "stripe-webhook-billing", "OIDC_CERTS_URL": "http://127.0.0.1:1/certs"}
    with pytest.raises(deployment.DeploymentError, match="OIDC_CERTS_URL: replaces a Google endpoint"):
        deployment.check_start("stripe_webhook", "billing", environ)


def test_production_settings_take_no_local_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in {**LOCAL_ENDPOINTS, **LOCAL_APP_STORE}:
        monkeypatch.delenv(name.upper(), raising=False)
    config = Settings(environment="production")
    assert (config.firestore_emulator_host, config.firebase_auth_emulator_host, config.cloud_tasks_emulator_host) == (
        "",
        "",
        "",
    )
    assert (config.fcm_endpoint, config.stripe_api_base) == ("", "")
    assert (config.app_store_api_base, config.app_store_local_chain) == ("", "")


def test_production_settings_refuse_the_local_app_stores_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apple's roots only: a local root would let the local chain sign for Apple."""
    monkeypatch.delenv("APP_STORE_LOCAL_CHAIN", raising=False)
    with pytest.raises(ValueError, match="app_store_local_chain names the local App Store's root"):
        Settings(environment="production", app_store_local_chain=LOCAL_APP_STORE["app_store_local_chain"])


@pytest.mark.parametrize("name", sorted(LOCAL_APP_STORE))
def test_the_local_app_store_on_cloud_run_is_refused(name: str) -> None:
    environ = BILLING | {"K_SERVICE": "stripe-webhook-billing", name.upper(): LOCAL_APP_STORE[name]}
    with pytest.raises(deployment.DeploymentError, match=f"{name.upper()}: names a local emulator"):
        deployment.check_start("stripe_webhook", "billing", environ)


def test_local_settings_trust_the_local_app_store_only() -> None:
    config = Settings(environment="local", app_store_api_base="", app_store_local_chain="")
    assert config.app_store_api_base == LOCAL_APP_STORE["app_store_api_base"]
    assert config.app_store_local_chain == LOCAL_APP_STORE["app_store_local_chain"]
    local = Settings(environment="local")
    assert all((local.firestore_emulator_host, local.fcm_endpoint, local.stripe_api_base))
