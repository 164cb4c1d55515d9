"""The test stack's environment: ports below the kernel's ephemeral range, where binding fails at random,
a short spread of a tick's sends, and the environment that reaches a stack already running."""

from __future__ import annotations

import pytest

from devstack import ports as stack_ports


def test_a_base_reaching_the_ephemeral_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PORT_BASE", str(stack_ports.ephemeral_low() - 100))
    with pytest.raises(ValueError, match="ephemeral"):
        stack_ports.test_environment()


def test_the_default_base_is_below_the_ephemeral_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_PORT_BASE", raising=False)
    assert stack_ports.test_environment()["GATEWAY_PORT"] == "18000"


def test_the_test_stack_spreads_a_tick_over_a_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_PORT_BASE", raising=False)
    assert stack_ports.test_environment()["REMINDERS_SPREAD_S"] == str(stack_ports.TEST_SPREAD_S)
    assert 1 < stack_ports.TEST_SPREAD_S < 60


def test_a_running_make_run_stack_is_reached_at_its_own_ports_and_another_at_its_base() -> None:
    made = stack_ports.attached_environment(8000)
    assert (made["GATEWAY_PORT"], made["FIRESTORE_EMULATOR_HOST"], made["FCM_ENDPOINT"]) == (
        "8000",
        "127.0.0.1:8080",
        "http://127.0.0.1:8124",
    )
    assert "REMINDERS_SPREAD_S" not in made
    assert stack_ports.attached_environment(27000) == stack_ports.stack_environment(27000)
