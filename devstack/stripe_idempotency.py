"""Stripe's idempotency layer, as its "Idempotent requests" page documents it, for the local Stripe.

The first response to a key is saved; the same key with the same endpoint and parameters
answers it again (`Idempotent-Replayed: true`); the same key with another endpoint or other
parameters is refused with 400 `idempotency_error`; a key is forgotten 24 hours after its first
use, and then makes a new request. Only answers of an endpoint that ran are saved: a request
refused before running may be retried with the same key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
KEEP_S = 24 * 3600
MAX_KEY_LENGTH = 255


class IdempotencyRefused(Exception):
    """A key that may not be used for this request: the status and Stripe's error body."""

    def __init__(self, message: str, *, error_type: str = "idempotency_error") -> None:
        super().__init__(message)
        self.status = 400
        self.body = {"error": {"type": error_type, "message": message}}


@dataclass(frozen=True)
class _Saved:
    endpoint: str
    params: Obj
    result: Obj
    at: float


class IdempotencyKeys:
    """Saved first answers by key, behind one lock, so two requests with one key run once."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._saved: dict[str, _Saved] = {}
        self._lock = threading.Lock()

    def run(self, key: str, endpoint: str, params: Obj, call: Callable[[], Obj]) -> tuple[Obj, bool]:
        """The answer to a keyed request, and whether it is a replay. Raises IdempotencyRefused."""
        if len(key) > MAX_KEY_LENGTH:
            raise IdempotencyRefused(
                f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters long", error_type="invalid_request_error"
            )
        with self._lock:
            now = self._clock()
            saved = self._saved.get(key)
            if saved is not None and now - saved.at < KEEP_S:
                if saved.endpoint != endpoint:
                    raise IdempotencyRefused(
                        f"Keys for idempotent requests can only be used for the same endpoint they were first "
                        f"used for ('{saved.endpoint}' vs '{endpoint}'). Try using a key other than '{key}' if "
                        "you meant to execute a different request."
                    )
                if saved.params != params:
                    raise IdempotencyRefused(
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different request."
                    )
                return saved.result, True
            result = call()
            self._saved[key] = _Saved(endpoint, params, result, now)
            return result, False
