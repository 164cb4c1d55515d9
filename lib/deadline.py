"""The time an app request may take: its handler runs on a worker thread, and the request
answers 503 `unavailable` (with Retry-After) when the time passes first.

A handler cannot be stopped from outside, so one that overruns keeps running and its result is
dropped; calls to a dependency made under a deadline read `remaining()` to end by the same
instant (lib/firestore.py), and a handler still waiting for a worker never starts.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TypeVar

from lib import errors, log

T = TypeVar("T")

# More workers than functions-framework's threads (THREADS, 40 in the cloud), so the handlers
# that overran their deadline and still wait on a dependency do not starve new requests.
WORKERS = 64

_expires_at: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline_expires_at", default=None)
_logger = log.get_logger("deadline")


def remaining() -> float | None:
    """Seconds left before the current request's deadline (negative once passed); None outside one."""
    expires_at = _expires_at.get()
    return None if expires_at is None else expires_at - time.monotonic()


@contextmanager
def expiring(seconds: float) -> Iterator[None]:
    """A deadline `seconds` from now for the dependency calls made inside the block, which end by
    it; the block itself is not cut short."""
    token = _expires_at.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _expires_at.reset(token)


@functools.cache
def _workers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="deadline")


def run_within(seconds: float, work: Callable[[], T], pool: ThreadPoolExecutor | None = None) -> T:
    """`work()`'s result, or errors.Unavailable once `seconds` pass without one.

    `work` runs in a copy of the caller's context, so its log fields (the uid bound by the token
    check) reach the request's own log line."""
    context = contextvars.copy_context()
    context.run(_expires_at.set, time.monotonic() + seconds)
    future = (pool or _workers()).submit(context.run, work)
    done, _ = wait([future], timeout=seconds)
    if not done:
        future.cancel()
        future.add_done_callback(functools.partial(_log_late, context, seconds))
        raise errors.Unavailable(f"the request did not finish within {seconds:g} s; retry shortly")
    log.bind(**context.run(log.fields))
    return future.result()


def _log_late(context: contextvars.Context, seconds: float, future: Future[T]) -> None:
    """The outcome of work whose request already answered 503: it never started, or it ended late."""
    if future.cancelled():
        outcome = "never started"
    else:
        error = future.exception()
        outcome = "ended late" if error is None else f"failed late ({type(error).__name__})"
    context.run(
        _logger.warning,
        f"work past its {seconds:g} s deadline {outcome}",
        extra={"fields": {"outcome": outcome}},
    )
