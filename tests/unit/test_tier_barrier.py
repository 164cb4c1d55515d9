"""tests/support/tier_barrier.py: a worker waits at a tier's end for every other worker, learns
what they failed, and does not wait for a worker that ended without finishing."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from tests.support.tier_barrier import TierBarrier

# Above Linux's largest pid_max (2**22), so no process has it.
NO_SUCH_PID = 2**22 + 1


def barriers(folder: Path) -> tuple[TierBarrier, TierBarrier]:
    return TierBarrier(folder, "gw0", 2), TierBarrier(folder, "gw1", 2)


def test_the_tiers_any_worker_failed_come_back_once_all_have_finished(tmp_path: Path) -> None:
    mine, other = barriers(tmp_path)
    mine.report(4, set())
    other.report(4, {"stack"})
    assert mine.wait(4) == {"stack"}


def test_a_worker_waits_for_one_still_in_the_tier(tmp_path: Path) -> None:
    mine, other = barriers(tmp_path)
    mine.report(4, set())
    other.report(3, set())
    finished_first: list[bool] = []

    def finish_later() -> None:
        time.sleep(0.5)
        finished_first.append(True)
        other.report(4, set())

    thread = threading.Thread(target=finish_later)
    thread.start()
    assert mine.wait(4) == set()
    assert finished_first, "the wait ended before the other worker finished the tier"
    thread.join()


def test_a_worker_that_ended_without_finishing_counts_as_a_failure(tmp_path: Path) -> None:
    mine, _ = barriers(tmp_path)
    mine.report(4, set())
    (tmp_path / "gw1.json").write_text(json.dumps({"finished": 3, "failed": [], "pid": NO_SUCH_PID}))
    assert mine.wait(4) == {"(worker gw1 ended before finishing)"}
