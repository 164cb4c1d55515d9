"""Fixtures: the local stack (started once per session, the same code as `make run`),
users with real ID tokens from the Auth emulator, and an HTTP client for the gateway."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import requests

from devstack.ports import test_environment

# Set before anything imports lib.config, so every client in this process targets the test stack.
os.environ.update(test_environment())

from devstack import accounts
from devstack.stack import Stack, app_services, emulator_services
from lib.config import Settings, settings

# Hypothesis' per-example deadline and its too_slow check are timing assertions; on a shared,
# loaded machine they fail tests whose logic is right.
hypothesis.settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("shared-machine")


STACK_FOLDERS = ("e2e", "integration")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e and tests/integration needs the local stack."""
    for item in items:
        if item.path.parent.name in STACK_FOLDERS:
            item.add_marker(pytest.mark.stack)


@pytest.fixture(scope="session")
def config() -> Settings:
    return settings()


@pytest.fixture(scope="session")
def stack(config: Settings) -> Iterator[Stack]:
    running = Stack(config)
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
