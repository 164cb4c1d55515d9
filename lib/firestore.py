"""The Firestore client, created once per process, and the one transaction runner.

The emulator (and production under contention) answers `Aborted` to transactions; the
Python client then retries immediately with no pause, which lets many threads on one
document fail for minutes. `run_transaction` retries the whole function with jittered
exponential backoff instead, and also catches `Aborted` raised by reads.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore

from lib.config import settings
from lib.errors import Unavailable

T = TypeVar("T")

# The Google permissions behind Firestore calls, for the IAM_PERMISSIONS each calling module
# declares (deploy/reach.py collects them per deployed function): documents and queries read
# with get and list; create, update and delete write (transactions and batches commit writes).
READS = frozenset({"datastore.entities.get", "datastore.entities.list"})
WRITES = READS | {"datastore.entities.create", "datastore.entities.update", "datastore.entities.delete"}

_RETRYABLE = (gexc.Aborted, gexc.ServiceUnavailable, gexc.DeadlineExceeded)


@functools.cache
def client() -> firestore.Client:
    config = settings()
    if config.firestore_emulator_host:
        os.environ.setdefault("FIRESTORE_EMULATOR_HOST", config.firestore_emulator_host)
    return firestore.Client(project=config.google_cloud_project)


def run_transaction(fn: Callable[[firestore.Transaction], T], *, attempts: int = 40, deadline_s: float = 90.0) -> T:
    """Runs `fn(transaction)` in a transaction, retrying contention with backoff.

    `fn` must be safe to run more than once: it only reads through the transaction and
    writes through it.
    """
    # Imported here: most requests run no transaction, so most cold starts skip tenacity.
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, stop_after_delay, wait_random_exponential

    @retry(
        retry=retry_if_exception_type(_RETRYABLE),
        wait=wait_random_exponential(multiplier=0.1, max=8.0),
        stop=stop_after_attempt(attempts) | stop_after_delay(deadline_s),
        reraise=True,
    )
    def attempt() -> T:
        transaction = client().transaction(max_attempts=1)
        try:
            return firestore.transactional(fn)(transaction)  # type: ignore[no-any-return]
        except ValueError as exc:
            # The client wraps an Aborted commit in ValueError once its own attempts run out.
            if isinstance(exc.__cause__, _RETRYABLE):
                raise exc.__cause__ from exc
            raise

    try:
        return attempt()
    except _RETRYABLE as exc:
        raise Unavailable("the database is busy; retry shortly", retry_after_s=1) from exc
