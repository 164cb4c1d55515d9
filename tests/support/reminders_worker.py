"""`python -m tests.support.reminders_worker`: runs the batch on stdin as attempt 0 of its task, as the
send entry point would, in a process the fault test can kill mid-batch."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from functions.reminders.batch import Batch
from functions.reminders.delivery import deliver

if __name__ == "__main__":
    deliver(Batch.model_validate_json(sys.stdin.buffer.read()), 0, datetime.now(UTC))
