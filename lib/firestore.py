"""The Firestore client, created once per process, and the one transaction runner.

The emulator (and production under contention) answers `Aborted` to transactions and to batch
commits that touch the same document; the Python client then retries a transaction immediately
with no pause, which lets many threads on one document fail for minutes, and a batch not at all.
`run_transaction` retries the whole function with jittered exponential backoff instead, and also
catches `Aborted` raised by reads; `commit_batch` sends an aborted batch again the same way.
`rerun_on_conflict` does the same for a read followed by a commit conditioned on what it read,
which takes no lock at all: the way to write documents that several requests contend for
(decision 0001).

Under a request deadline (lib/deadline.py) every call, and every transaction's retries, end by
that deadline; other work keeps the client's own limits (the tick's long queries among them).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.api_core.gapic_v1.method import DEFAULT
from google.cloud import firestore
from google.cloud.firestore_v1.types.write import WriteResult

from lib import deadline
from lib.config import settings
from lib.errors import Unavailable
from lib.queries import Snapshot

T = TypeVar("T")

# The Google permissions behind Firestore calls, for the IAM_PERMISSIONS each calling module
# declares (deploy/reach.py collects them per deployed function): documents and queries read
# with get and list; create, update and delete write (transactions and batches commit writes).
READS = frozenset({"datastore.entities.get", "datastore.entities.list"})
WRITES = READS | {"datastore.entities.create", "datastore.entities.update", "datastore.entities.delete"}

_RETRYABLE = (gexc.Aborted, gexc.ServiceUnavailable, gexc.DeadlineExceeded)
# What a commit's precondition raises when a document was written, created or deleted since it was read.
CONFLICTS = (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.NotFound)


@functools.cache
def client() -> firestore.Client:
    config = settings()
    if config.firestore_emulator_host:
        os.environ.setdefault("FIRESTORE_EMULATOR_HOST", config.firestore_emulator_host)
    created = firestore.Client(project=config.google_cloud_project)
    # The GAPIC transport's table of wrapped methods is where every RPC of the client gets its
    # retry and timeout; the client has no public default to set for them.
    methods: dict[Any, Any] = created._firestore_api._transport._wrapped_methods
    for method, rpc in methods.items():
        methods[method] = within_request_deadline(rpc)
    return created


def within_request_deadline(rpc: Callable[..., Any]) -> Callable[..., Any]:
    """`rpc` (a wrapped GAPIC method) whose timeout and retry limit are cut to the request's
    remaining time under a deadline; a call once the deadline has passed is not made."""
    default_retry = getattr(rpc, "_retry", None)

    def call(*args: Any, retry: Any = DEFAULT, timeout: Any = DEFAULT, **kwargs: Any) -> Any:
        left = deadline.remaining()
        if left is None:
            return rpc(*args, retry=retry, timeout=timeout, **kwargs)
        if left <= 0:
            raise gexc.DeadlineExceeded("the request's deadline has passed")  # type: ignore[no-untyped-call]
        chosen = default_retry if retry is DEFAULT else retry
        if timeout is DEFAULT or timeout is None or timeout > left:
            timeout = left
        return rpc(*args, retry=None if chosen is None else chosen.with_timeout(left), timeout=timeout, **kwargs)

    return call


def run_transaction(fn: Callable[[firestore.Transaction], T], *, attempts: int = 40, deadline_s: float = 90.0) -> T:
    """Runs `fn(transaction)` in a transaction, retrying contention with backoff.

    `fn` must be safe to run more than once: it only reads through the transaction and
    writes through it.
    """

    def attempt() -> T:
        transaction = client().transaction(max_attempts=1)
        try:
            return firestore.transactional(fn)(transaction)  # type: ignore[no-any-return]
        except ValueError as exc:
            # The client wraps an Aborted commit in ValueError once its own attempts run out, and
            # a failed begin surfaces as the ValueError of the rollback it then attempts.
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, _RETRYABLE):
                raise cause from exc
            raise

    return _with_backoff(attempt, _RETRYABLE, attempts, deadline_s)


def commit_batch(batch: firestore.WriteBatch, *, attempts: int = 40, deadline_s: float = 90.0) -> list[WriteResult]:
    """Commits `batch`, sending it again with backoff when contention aborts it: an aborted commit
    wrote nothing, so sending it again cannot apply it twice (a batch's writes stay in it until a
    commit succeeds). Other errors, a failed precondition among them, reach the caller."""
    return _with_backoff(lambda: list(batch.commit()), (gexc.Aborted,), attempts, deadline_s)


def read_all(refs: Sequence[firestore.DocumentReference]) -> list[Snapshot]:
    """`refs` read in one round trip, in the order given (the client answers in any order)."""
    by_path = {snapshot.reference.path: snapshot for snapshot in client().get_all(list(refs))}
    return [by_path[ref.path] for ref in refs]


def as_read(snapshot: Snapshot) -> Any:
    """The write precondition that the document is still the version `snapshot` read."""
    return client().write_option(last_update_time=snapshot.update_time)


def rerun_on_conflict(attempt: Callable[[], T], *, attempts: int = 40, deadline_s: float = 90.0) -> T:
    """`attempt()`, which reads and then commits conditioned on what it read, run again with backoff
    while a concurrent writer breaks its conditions; 503 once the attempts or the time run out."""
    return _with_backoff(attempt, CONFLICTS, attempts, deadline_s)


def _with_backoff(
    attempt: Callable[[], T], retryable: tuple[type[Exception], ...], attempts: int, deadline_s: float
) -> T:
    """`attempt()`, tried again on `retryable` errors with jittered exponential backoff until
    `attempts` or the time left run out; then Unavailable, which answers 503 with Retry-After."""
    try:
        return attempt()
    except retryable:
        # Imported only now: most calls meet no contention, so most cold starts skip tenacity.
        from tenacity import (
            retry,
            retry_if_exception_type,
            stop_after_attempt,
            stop_after_delay,
            wait_random_exponential,
        )

    left = deadline.remaining()
    budget_s = deadline_s if left is None else min(deadline_s, left)
    retrying = retry(
        retry=retry_if_exception_type(retryable),
        wait=wait_random_exponential(multiplier=0.1, max=8.0),
        stop=stop_after_attempt(max(attempts - 1, 1)) | stop_after_delay(budget_s),
        reraise=True,
    )(attempt)
    try:
        return retrying()
    except retryable as exc:
        raise Unavailable("the database is busy; retry shortly", retry_after_s=1) from exc
