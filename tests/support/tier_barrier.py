"""The tier order across pytest-xdist workers: a session that holds several tiers and runs on
several workers (`make test-stacks`) starts no test of a tier until every worker has finished the
tiers before it, and stops everywhere before the next tier once one of them failed.

Each worker keeps one small JSON file in a folder the controller creates and names in the
environment the workers inherit: how many tiers it has finished and which of them failed. A
worker waits at a tier's end until every other worker's file says it finished that tier; one that
ended without saying so (it crashed) counts as a failure, so no worker waits for it forever.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

FOLDER_VARIABLE = "TEST_TIER_BARRIER"
POLL_S = 0.2


@dataclass(frozen=True)
class Progress:
    finished: int
    failed: frozenset[str]
    pid: int


@dataclass(frozen=True)
class TierBarrier:
    folder: Path
    worker: str
    workers: int

    @classmethod
    def of_this_worker(cls) -> TierBarrier | None:
        """The barrier of this xdist worker, or None outside a multi-worker session."""
        folder, worker = os.environ.get(FOLDER_VARIABLE), os.environ.get("PYTEST_XDIST_WORKER")
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        if not folder or not worker or workers < 2:
            return None
        return cls(Path(folder), worker, workers)

    def _path(self, worker: str) -> Path:
        return self.folder / f"{worker}.json"

    def report(self, finished: int, failed: set[str]) -> None:
        """Says this worker has finished its first `finished` tiers, `failed` among them; written
        whole and renamed, so a reader never sees half a file."""
        draft = self._path(self.worker).with_suffix(".draft")
        draft.write_text(json.dumps({"finished": finished, "failed": sorted(failed), "pid": os.getpid()}))
        draft.replace(self._path(self.worker))

    def _progress(self, worker: str) -> Progress | None:
        try:
            data = json.loads(self._path(worker).read_text())
        except FileNotFoundError:
            return None
        return Progress(data["finished"], frozenset(data["failed"]), data["pid"])

    def wait(self, finished: int) -> set[str]:
        """Waits until every worker has finished its first `finished` tiers; answers the tiers any
        of them failed, plus a note for each worker that ended before saying so. A worker reports
        0 when its session starts, so its process id is known before it could crash."""
        peers = [f"gw{index}" for index in range(self.workers)]
        while True:
            failed: set[str] = set()
            waiting = False
            for peer in peers:
                progress = self._progress(peer)
                if progress is not None and progress.finished >= finished:
                    failed |= progress.failed
                elif progress is None or _alive(progress.pid):
                    waiting = True
                else:
                    failed.add(f"(worker {peer} ended before finishing)")
            if not waiting:
                return failed
            time.sleep(POLL_S)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
