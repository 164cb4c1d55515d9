"""Fixtures: the local stack (started once per session or xdist worker, the same code as
`make run`, or one already running), users with real ID tokens from the Auth emulator, and an
HTTP client for the gateway. Also where the tiers are named (tests/support/tiers.py, docs/testing.md)."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests

from devstack.ports import attached_environment, test_environment

# Set before anything imports lib.config, so every client in this process targets the test stack:
# the one TEST_STACK_GATEWAY_PORT names, already running (`make run`), or the tests' own; each
# pytest-xdist worker (`-n`) starts a stack of its own, on ports of its own.
os.environ.update(
    attached_environment(int(os.environ["TEST_STACK_GATEWAY_PORT"]))
    if os.environ.get("TEST_STACK_GATEWAY_PORT")
    else test_environment()
)

from devstack import accounts
from devstack.stack import Stack, app_services, emulator_services
from lib.config import Settings, settings
from tests.support import purity, tiers

ATTACHED = bool(os.environ.get("TEST_STACK_GATEWAY_PORT"))

# Hypothesis' per-example deadline and its too_slow check are timing assertions; on a shared,
# loaded machine they fail tests whose logic is right. `dev` runs a tenth of the examples, for a
# quick local loop (`make check`); the default runs them all.
hypothesis.settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.register_profile("dev", hypothesis.settings.get_profile("shared-machine"), max_examples=10)
hypothesis.settings.load_profile("shared-machine")


# Each folder under tests/ is a tier, cheapest first; `make test` runs them in this order.
TIERS = {
    "unit": "unit",
    "deploy": "deploy",
    "component": "component",
    "integration": "stack",
    "e2e": "stack",
    "slow": "slow",
}
TESTS = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    tiers.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(tiers.TierOrder(TESTS, TIERS, TESTS / "durations.json"), "tier-order")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """A unit test touches no socket, process or file outside the tree (tests/support/purity.py),
    nor does any fixture it sets up, a module's or a session's included."""
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    return (yield from _guarded(item))


def _guarded(item: pytest.Item) -> Generator[None, None, None]:
    if item.get_closest_marker("unit") is None:
        return (yield)
    with purity.pure():
        return (yield)


@pytest.fixture(scope="session")
def config() -> Settings:
    return settings()


@pytest.fixture(scope="session")
def stack(config: Settings) -> Iterator[Stack]:
    running = Stack(config)
    if ATTACHED:
        yield running
        return
    try:
        running.start(emulator_services(config) + app_services(config))
        yield running
    finally:
        running.stop()


AppUser = accounts.SignedInUser

MakeUser = Callable[..., AppUser]


@pytest.fixture
def make_user(stack: Stack) -> MakeUser:
    def make(display_name: str = "Test User") -> AppUser:
        return accounts.new_user("user", display_name)

    return make


@pytest.fixture
def user(make_user: MakeUser) -> AppUser:
    return make_user()


class GatewayClient:
    """requests against the running gateway, with paths instead of URLs."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def gateway(stack: Stack, config: Settings) -> Iterator[GatewayClient]:
    client = GatewayClient(config.gateway_url)
    yield client
    client.session.close()
