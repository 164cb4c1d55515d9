"""lib.config: settings from the environment, validated, keyword arguments first."""

import pytest
from pydantic import ValidationError

from lib.config import Settings


def test_a_setting_comes_from_its_environment_variable_in_upper_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "8123")
    monkeypatch.setenv("STRIPE_PRICE_ID", "price_env")
    assert (Settings().gateway_port, Settings().stripe_price_id) == (8123, "price_env")


def test_a_keyword_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "8123")
    assert Settings(gateway_port=9000).gateway_port == 9000


def test_an_unset_setting_takes_its_local_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGION", raising=False)
    assert Settings().region == "europe-west1"


def test_an_invalid_environment_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "not-a-port")
    with pytest.raises(ValidationError, match="gateway_port"):
        Settings()


def test_environment_variables_that_are_not_settings_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_UNRELATED_VARIABLE", "x")
    assert not hasattr(Settings(), "some_unrelated_variable")


def test_a_signing_key_name_missing_from_the_key_table_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDN_SIGNING_KEY_NAME", "absent")
    with pytest.raises(ValidationError, match="cdn_signing_key_name"):
        Settings()


def test_the_tasks_account_is_read_from_the_variable_terraform_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read under another name, the tasks carried no OIDC token and Cloud Run refused them all."""
    monkeypatch.setenv("REMINDERS_TASK_SERVICE_ACCOUNT", "reminders-tasks@p.iam.gserviceaccount.com")
    assert Settings().reminders_task_service_account == "reminders-tasks@p.iam.gserviceaccount.com"
