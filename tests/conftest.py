"""Fixtures: the local stack (started once per session, the same code as `make run`, or one
already running), users with real ID tokens from the Auth emulator, and an HTTP client for the
gateway. Also where each test gets its tier (docs/testing.md)."""

from __future__ import annotations

import os
import shutil
import tempfile
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
from tests.support import purity
from tests.support.tier_barrier import FOLDER_VARIABLE, TierBarrier

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


def tier_of(item: pytest.Item) -> str:
    """The tier of the test's folder; a stack file marked slow as a whole stays beside its kin but
    runs with the slow tier (`make test-slow` collects the stack folders too)."""
    folder = item.path.relative_to(TESTS).parts[0]
    if folder not in TIERS:
        raise pytest.UsageError(f"{item.nodeid}: tests/{folder} is no tier; add it to TIERS in tests/conftest.py")
    marked = {m.name for m in item.iter_markers() if m.name in TIERS.values()} - {TIERS[folder]}
    if marked == {"slow"} and TIERS[folder] == "stack":
        return "slow"
    if marked:
        raise pytest.UsageError(f"{item.nodeid}: marked {sorted(marked)}; move it to that tier's folder instead")
    return TIERS[folder]


TIER_ORDER = list(dict.fromkeys(TIERS.values()))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks each test with its tier and runs the tiers of one session cheapest first, so the
    stack and slow tiers can share one stack (`make test-stacks`). A file holds one tier: xdist
    hands a worker whole files, and the tier barrier needs each worker's files in tier order."""
    tier_of_file: dict[Path, str] = {}
    for item in items:
        _TIER_OF[item.nodeid] = tier = tier_of(item)
        item.add_marker(tier)
        if tier_of_file.setdefault(item.path, tier) != tier:
            raise pytest.UsageError(
                f"{item.nodeid}: tier {tier} in a file of tier {tier_of_file[item.path]}; a file holds one tier"
            )
    items.sort(key=lambda item: TIER_ORDER.index(_TIER_OF[item.nodeid]))


_TIER_OF: dict[str, str] = {}
_FAILED_TIERS: set[str] = set()
_BARRIER = TierBarrier.of_this_worker()


def pytest_configure(config: pytest.Config) -> None:
    """The controller of a session on several xdist workers makes the folder of their tier
    barrier; the workers, started after this, inherit its name (tests/support/tier_barrier.py)."""
    if _BARRIER is not None:
        _BARRIER.report(0, set())
    elif not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None):
        os.environ[FOLDER_VARIABLE] = tempfile.mkdtemp(prefix="pytest-tiers-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _BARRIER is None and FOLDER_VARIABLE in os.environ:
        shutil.rmtree(os.environ.pop(FOLDER_VARIABLE), ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _BARRIER is not None:
        _BARRIER.report(len(TIER_ORDER), _FAILED_TIERS)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # An xdist controller sees its workers' reports but collects nothing: the workers keep count.
    if report.failed and report.nodeid in _TIER_OF:
        _FAILED_TIERS.add(_TIER_OF[report.nodeid])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[object]:
    """A session that holds several tiers stops where one tier ends with a failure, as `make
    test` stops at the first tier that fails; on several workers, no worker starts the next tier
    before every worker has finished this one."""
    outcome = yield
    tier = _TIER_OF[item.nodeid]
    if nextitem is not None and _TIER_OF[nextitem.nodeid] == tier:
        return outcome
    finished = TIER_ORDER.index(tier) + 1 if nextitem is not None else len(TIER_ORDER)
    if _BARRIER is not None:
        _BARRIER.report(finished, _FAILED_TIERS)
    if nextitem is not None:
        failed = _BARRIER.wait(finished) if _BARRIER is not None else _FAILED_TIERS
        if failed:
            item.session.shouldstop = f"the {', '.join(sorted(failed))} tier failed; the tiers after it did not run"
    return outcome


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
