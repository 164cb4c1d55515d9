"""What a deployed function loads when its module is imported (its cold start): nothing its
typical request does not need. Each check runs in a fresh interpreter."""

import pytest

from tests.support.start_up import ROOT, modules_loaded_by

FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/main.py"))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_function_loads_pydantic_settings(function: str) -> None:
    assert "pydantic_settings" not in modules_loaded_by(f"functions.{function}.main")


def test_the_profile_function_loads_the_stripe_sdk_only_for_a_deletion() -> None:
    loaded = modules_loaded_by("functions.auth_hooks.main")
    assert {"stripe", "functions.auth_hooks.deletion"}.isdisjoint(loaded)


@pytest.mark.parametrize("module", ["lib.firestore", "functions.content_urls.main", "functions.auth_hooks.main"])
def test_tenacity_is_not_loaded_by_modules_that_run_no_transaction_at_import(module: str) -> None:
    assert "tenacity" not in modules_loaded_by(module)


HEAVY = {"google.cloud.tasks_v2", "firebase_admin.messaging", "httpx", "stripe"}


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("functions.reminders.main", set()),
        ("functions.reminders.tick", {"google.cloud.tasks_v2"}),
        ("functions.reminders.delivery", {"firebase_admin.messaging", "httpx"}),
        ("functions.reminders.sweep", set()),
        ("functions.reminders.devices", set()),
        ("functions.stripe_webhook.main", set()),
        ("functions.stripe_webhook.entitlement_view", set()),
        # What a store's notification records a purchase with: no Stripe SDK (firebase_admin.auth,
        # which sets the plan claim, loads httpx).
        ("functions.stripe_webhook.store_purchases", {"httpx"}),
        ("functions.stripe_webhook.store_accounts", set()),
    ],
)
def test_a_module_loads_no_sdk_it_does_not_use(module: str, allowed: set[str]) -> None:
    assert HEAVY & modules_loaded_by(module) <= allowed
