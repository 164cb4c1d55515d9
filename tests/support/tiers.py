"""The tiers of a pytest session, as a plugin (tests/conftest.py registers it; docs/testing.md):
each test's tier comes from its folder, the tiers run cheapest first, and a session that holds
several stops where a tier ends with a failure, as `make test` stops at the first failing tier.

On several pytest-xdist workers the order holds across them: at the end of a tier each worker
writes how far it got and what failed to a folder the controller made, and waits until every
worker has finished that tier (decision 0025). A file holds one tier, since xdist hands a worker
whole files, and a worker meeting the barrier with the earlier tier's tests still queued would
wait for itself. Within a tier the files run longest first, by the seconds `--store-durations`
recorded (tests/durations.json), so no worker starts a long file when the others are nearly done.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.support.tier_barrier import FOLDER_VARIABLE, TierBarrier

STORE_DURATIONS = "store_durations"


def add_options(parser: pytest.Parser) -> None:
    """The plugin's option, for a conftest's pytest_addoption: a plugin registered at configure
    time comes after the command line is read."""
    parser.addoption(
        "--store-durations",
        action="store_true",
        dest=STORE_DURATIONS,
        help="write each file's seconds in this session to the durations file, which orders each tier's files",
    )


class TierOrder:
    def __init__(self, tests: Path, tiers: Mapping[str, str], durations: Path | None = None) -> None:
        """`tiers` maps each folder under `tests` to its tier, cheapest tier first; `durations`
        holds each file's seconds, a file missing from it counting as none."""
        self.tests = tests
        self.tiers = tiers
        self.order = list(dict.fromkeys(tiers.values()))
        self.durations = durations
        recorded = durations is not None and durations.exists()
        self.seconds_of_file: dict[str, float] = json.loads(durations.read_text()) if recorded else {}
        self.tier_of_test: dict[str, str] = {}
        self.failed: set[str] = set()
        self.measured: dict[str, float] = {}
        self.barrier = TierBarrier.of_this_worker()

    def tier_of(self, item: pytest.Item) -> str:
        """The tier of the test's folder; a stack file marked slow as a whole stays beside its
        kin but runs with the slow tier (`make test-slow` collects the stack folders too)."""
        folder = item.path.relative_to(self.tests).parts[0]
        if folder not in self.tiers:
            raise pytest.UsageError(f"{item.nodeid}: tests/{folder} is no tier; add it to TIERS in tests/conftest.py")
        marked = {m.name for m in item.iter_markers() if m.name in self.order} - {self.tiers[folder]}
        if marked == {"slow"} and self.tiers[folder] == "stack":
            return "slow"
        if marked:
            raise pytest.UsageError(f"{item.nodeid}: marked {sorted(marked)}; move it to that tier's folder instead")
        return self.tiers[folder]

    def pytest_configure(self, config: pytest.Config) -> None:
        """The controller of a session on several xdist workers makes the barrier's folder; the
        workers, started after this, inherit its name."""
        if self.barrier is not None:
            self.barrier.report(0, set())
        elif not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None):
            os.environ[FOLDER_VARIABLE] = tempfile.mkdtemp(prefix="pytest-tiers-")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.barrier is None and FOLDER_VARIABLE in os.environ:
            shutil.rmtree(os.environ.pop(FOLDER_VARIABLE), ignore_errors=True)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Marks each test with its tier and sorts the session cheapest tier first, and each
        tier's files longest first (a file's tests stay together and in their order)."""
        tier_of_file: dict[Path, str] = {}
        for item in items:
            self.tier_of_test[item.nodeid] = tier = self.tier_of(item)
            item.add_marker(tier)
            if tier_of_file.setdefault(item.path, tier) != tier:
                raise pytest.UsageError(
                    f"{item.nodeid}: tier {tier} in a file of tier {tier_of_file[item.path]}; a file holds one tier"
                )
        # A stable sort: the tests of one file, sharing both keys, keep their order.
        items.sort(
            key=lambda item: (
                self.order.index(self.tier_of_test[item.nodeid]),
                -self.seconds_of_file.get(_file_of(item.nodeid), 0.0),
            )
        )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # An xdist controller sees its workers' reports but collects nothing: the workers count.
        if report.failed and report.nodeid in self.tier_of_test:
            self.failed.add(self.tier_of_test[report.nodeid])
        file = _file_of(report.nodeid)
        self.measured[file] = self.measured.get(file, 0.0) + report.duration

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[object]:
        outcome = yield
        tier = self.tier_of_test[item.nodeid]
        if nextitem is not None and self.tier_of_test[nextitem.nodeid] == tier:
            return outcome
        finished = self.order.index(tier) + 1 if nextitem is not None else len(self.order)
        if self.barrier is not None:
            self.barrier.report(finished, self.failed)
        if nextitem is not None:
            failed = self.barrier.wait(finished) if self.barrier is not None else self.failed
            if failed:
                item.session.shouldstop = f"the {', '.join(sorted(failed))} tier failed; the tiers after it did not run"
        return outcome

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # A worker that ran out of work, or got none, holds no other worker at a barrier.
        if self.barrier is not None:
            self.barrier.report(len(self.order), self.failed)
        # The controller, or a session without workers, sees every report: it keeps the record.
        elif session.config.getoption(STORE_DURATIONS) and self.durations is not None:
            merged = {**self.seconds_of_file, **{file: round(s, 1) for file, s in self.measured.items()}}
            self.durations.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n")


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]
