"""The test stack's ports stay below the kernel's ephemeral range, where binding fails at random."""

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
