"""Webhook delivery the way Stripe does it: signed, retried with backoff on anything but
2xx, in no guaranteed order, sometimes twice; plus switches that make those faults happen
on demand (duplicate, delay, hold-and-reorder, drop)."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import requests
from pydantic import BaseModel, Field

MAX_PENDING = 50_000
MAX_LOGGED = 20_000
MAX_BACKOFF_S = 30.0


class Faults(BaseModel):
    """What PUT /_local/webhook_faults sets; a field left out goes back to its default."""

    duplicate_rate: float = Field(default=0.0, ge=0, le=1)  # send this share of deliveries twice, at once
    drop_rate: float = Field(default=0.0, ge=0, le=1)  # never deliver this share of events (reconcile heals them)
    delay_ms: int = Field(default=0, ge=0, le=60_000)  # wait before each first attempt
    hold: bool = False  # keep new deliveries back until hold is switched off
    reorder: bool = False  # deliver each batch (and the held ones) newest first


def signature_header(payload: str, secrets: Sequence[str], timestamp: int) -> str:
    """`t=...,v1=...` with one v1 signature per secret, as Stripe sends during a rotation."""
    signed = f"{timestamp}.{payload}".encode()
    parts = [f"t={timestamp}"]
    parts += [f"v1={hmac.new(s.encode(), signed, hashlib.sha256).hexdigest()}" for s in secrets]
    return ",".join(parts)


@dataclass
class Attempt:
    event_id: str
    event_type: str
    attempt: int
    status: int | None
    error: str | None
    at: float
    latency_ms: float


@dataclass(order=True)
class _Due:
    due: float
    seq: int
    event: dict[str, Any] = field(compare=False)
    attempt: int = field(compare=False)


class Deliverer:
    """Sends events to `url` with a bounded pool of workers; retries wait on a timer heap."""

    def __init__(
        self,
        url: str,
        secrets: Callable[[], Sequence[str]],
        *,
        max_attempts: int,
        backoff_s: float,
        workers: int = 8,
    ) -> None:
        self.url = url
        self.secrets = secrets
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.faults = Faults()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self._heap: list[_Due] = []
        self._held: list[dict[str, Any]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._log: deque[Attempt] = deque(maxlen=MAX_LOGGED)
        self._sessions = threading.local()  # requests.Session is not meant to be shared by threads
        self._stopped = False
        self._timer = threading.Thread(target=self._run_timer, name="webhook-timer", daemon=True)
        self._timer.start()

    def set_faults(self, faults: Faults) -> None:
        with self._cond:
            self.faults = faults
            if not faults.hold and self._held:
                held, self._held = self._held, []
                self._schedule_batch(held)

    def deliver(self, events: list[dict[str, Any]]) -> None:
        """Queues the events one action produced (in the order Stripe created them)."""
        with self._cond:
            kept = [e for e in events if random.random() >= self.faults.drop_rate]
            for dropped in (e for e in events if e not in kept):
                self._record(dropped, 0, None, "dropped by fault injection", 0.0)
            if self.faults.hold:
                self._held.extend(kept)
                return
            self._schedule_batch(kept)

    def _schedule_batch(self, events: list[dict[str, Any]]) -> None:
        ordered = list(reversed(events)) if self.faults.reorder else events
        start = time.monotonic() + self.faults.delay_ms / 1000
        for offset, event in enumerate(ordered):
            # A tiny spacing keeps the chosen order on the wire.
            self._push(start + offset * 0.005, event, 1)
            if random.random() < self.faults.duplicate_rate:
                self._push(start + offset * 0.005, event, 1)

    def _push(self, due: float, event: dict[str, Any], attempt: int) -> None:
        if len(self._heap) >= MAX_PENDING:
            self._record(event, attempt, None, "dropped: too many pending deliveries", 0.0)
            return
        heapq.heappush(self._heap, _Due(due, next(self._seq), event, attempt))
        self._cond.notify()

    def _run_timer(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0].due > time.monotonic()):
                    timeout = self._heap[0].due - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                due = heapq.heappop(self._heap)
            self._pool.submit(self._send, due.event, due.attempt)

    def _session(self) -> requests.Session:
        if not hasattr(self._sessions, "session"):
            self._sessions.session = requests.Session()
        session: requests.Session = self._sessions.session
        return session

    def _send(self, event: dict[str, Any], attempt: int) -> None:
        payload = json.dumps(event)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature_header(payload, self.secrets(), int(time.time())),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            status = self._session().post(self.url, data=payload.encode(), headers=headers, timeout=30).status_code
        except requests.RequestException as exc:
            error = type(exc).__name__
        self._record(event, attempt, status, error, (time.monotonic() - started) * 1000)
        if (status is None or not 200 <= status < 300) and attempt < self.max_attempts:
            wait = min(MAX_BACKOFF_S, self.backoff_s * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
            with self._cond:
                self._push(time.monotonic() + wait, event, attempt + 1)

    def _record(self, event: dict[str, Any], attempt: int, status: int | None, error: str | None, ms: float) -> None:
        self._log.append(Attempt(event["id"], event["type"], attempt, status, error, time.time(), round(ms, 1)))

    def attempts(self, event_id: str | None = None) -> list[dict[str, Any]]:
        return [asdict(a) for a in list(self._log) if event_id is None or a.event_id == event_id]

    def delivered_ids(self) -> set[str]:
        """Events one attempt delivered (the endpoint answered 2xx)."""
        return {a.event_id for a in list(self._log) if a.status is not None and 200 <= a.status < 300}

    def clear(self) -> None:
        self._log.clear()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)
