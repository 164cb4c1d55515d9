"""The tier order of tests/support/tiers.py, in pytest sessions of their own over a small suite:
the tiers run cheapest first, on two xdist workers no slow test starts before every stack test has
ended, a failing tier stops the session before the next, and a file that holds two tiers is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.stack import ROOT

CONFTEST = """
from pathlib import Path
from tests.support import tiers

def pytest_addoption(parser):
    tiers.add_options(parser)

def pytest_configure(config):
    for tier in ("stack", "slow"):
        config.addinivalue_line("markers", tier)
    suite = Path(__file__).parent
    tier_order = tiers.TierOrder(suite, {"integration": "stack", "slow": "slow"}, suite / "durations.json")
    config.pluginmanager.register(tier_order)
"""

# Each test writes when it started and ended: the slower stack test still runs on one worker when
# the other has finished its stack test and would start a slow one, were there no barrier.
TEST = """
import os, time
from pathlib import Path

def test_{name}():
    started = time.monotonic()
    time.sleep({sleep_s})
    with Path(os.environ["TIER_LOG"]).open("a") as log:
        log.write(f"{name} {{started}} {{time.monotonic()}}\\n")
    assert "{name}" != os.environ.get("FAILING")
"""

# xdist starts each worker with two files: one gets a and c, the other b and d.
SUITE = {
    "integration/test_a.py": ("a", 1.5),
    "integration/test_b.py": ("b", 0),
    "slow/test_c.py": ("c", 0),
    "slow/test_d.py": ("d", 0),
}


def run_suite(
    tmp_path: Path, *args: str, failing: str = "", files: dict[str, str] | None = None
) -> tuple[int, str, dict[str, tuple[float, float]]]:
    suite = tmp_path / "suite"
    for path, text in {
        "conftest.py": CONFTEST,
        **{p: TEST.format(name=n, sleep_s=s) for p, (n, s) in SUITE.items()},
        **(files or {}),
    }.items():
        (suite / path).parent.mkdir(parents=True, exist_ok=True)
        (suite / path).write_text(text)
    log = tmp_path / "log"
    # Only xdist among the installed plugins: the others' imports would cost each process a second.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TIER_LOG": str(log), "FAILING": failing}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xdist", "-o", f"cache_dir={tmp_path / 'cache'}", *args, str(suite)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    ran = {}
    if log.exists():
        for line in log.read_text().splitlines():
            name, started, ended = line.split()
            ran[name] = (float(started), float(ended))
    return done.returncode, done.stdout + done.stderr, ran


ON_TWO_WORKERS = ("-n", "2", "--dist", "loadfile", "--no-loadscope-reorder")


def test_on_two_workers_no_slow_test_starts_before_every_stack_test_has_ended(tmp_path: Path) -> None:
    code, output, ran = run_suite(tmp_path, *ON_TWO_WORKERS)
    assert code == 0, output
    assert set(ran) == {"a", "b", "c", "d"}
    assert min(ran["c"][0], ran["d"][0]) >= max(ran["a"][1], ran["b"][1]), ran


@pytest.mark.parametrize("workers", [(), ON_TWO_WORKERS], ids=["one process", "two workers"])
def test_a_failing_tier_stops_the_session_before_the_next(tmp_path: Path, workers: tuple[str, ...]) -> None:
    code, output, ran = run_suite(tmp_path, *workers, failing="b")
    assert code != 0
    assert "the stack tier failed; the tiers after it did not run" in output, output
    assert set(ran) == {"a", "b"}


def test_a_file_with_tests_of_two_tiers_is_refused(tmp_path: Path) -> None:
    mixed = "import pytest\n\ndef test_d():\n    pass\n\n@pytest.mark.slow\ndef test_e():\n    pass\n"
    code, output, ran = run_suite(tmp_path, files={"integration/test_mixed.py": mixed})
    assert code == pytest.ExitCode.USAGE_ERROR, output
    assert "tier slow in a file of tier stack; a file holds one tier" in output
    assert ran == {}


def test_a_tiers_files_run_longest_first_by_the_stored_durations(tmp_path: Path) -> None:
    code, output, _ = run_suite(tmp_path, "--store-durations")
    assert code == 0, output
    stored = json.loads((tmp_path / "suite" / "durations.json").read_text())
    assert stored["suite/integration/test_a.py"] >= 1.5
    (tmp_path / "log").unlink()
    (tmp_path / "suite" / "durations.json").write_text(json.dumps({"suite/slow/test_d.py": 9.0}))
    code, output, ran = run_suite(tmp_path)
    assert code == 0, output
    assert sorted(ran, key=lambda name: ran[name][0]) == ["a", "b", "d", "c"]
