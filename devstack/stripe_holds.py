"""Held answers of the local Stripe: a test arms a hold on one API request (method, path and
customer), the server computes that request's answer and keeps it until the test releases it.
So a request can see Stripe as it was before something the test does meanwhile (a checkout
paid while a checkout request is in flight), with no sleep and no patched SDK."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel, ConfigDict

Obj = dict[str, Any]
# A hold never outlives a test that forgot to release it.
MAX_HOLD_S = 60.0


class Hold(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: str
    path: str
    customer: str


class Holds:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._armed: list[Hold] = []
        self._held = 0
        self._generation = 0

    def arm(self, hold: Hold) -> None:
        with self._changed:
            self._armed.append(hold)

    def release(self) -> None:
        """Lets every held answer go and disarms what no request matched."""
        with self._changed:
            self._armed.clear()
            self._generation += 1
            self._changed.notify_all()

    def state(self) -> Obj:
        with self._changed:
            return {"armed": [h.model_dump() for h in self._armed], "held": self._held}

    def pass_answer(self, method: str, path: str, params: Obj) -> None:
        """Returns at once, unless an armed hold matches: then once the test releases it."""
        with self._changed:
            match = next(
                (h for h in self._armed if (h.method, h.path, h.customer) == (method, path, params.get("customer"))),
                None,
            )
            if match is None:
                return
            self._armed.remove(match)
            self._held += 1
            generation = self._generation
            self._changed.wait_for(lambda: self._generation != generation, timeout=MAX_HOLD_S)
            self._held -= 1
