"""A steady caller of some routes while something else happens, recording what each answered."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from types import TracebackType

import requests
import stripe

from lib.config import settings

Call = Callable[[requests.Session], requests.Response]


def unknown_customer_event() -> tuple[bytes, dict[str, str]]:
    """A signed Stripe event, unique each time, about a customer the app does not know."""
    payload = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": "customer.created",
            "data": {"object": {"object": "customer", "id": f"cus_{uuid.uuid4().hex[:14]}"}},
        }
    )
    signature = stripe.WebhookSignature.generate_signature_header(payload, settings().stripe_webhook_secret)
    return payload.encode(), {"Stripe-Signature": str(signature), "Content-Type": "application/json"}


class Probe:
    """Calls each route in turn every `interval_s` on a thread of its own, until the block ends;
    `answers[name]` counts the statuses (0: no answer at all)."""

    def __init__(self, calls: dict[str, Call], interval_s: float = 0.25) -> None:
        self.calls = calls
        self.interval_s = interval_s
        self.answers: dict[str, Counter[int]] = {name: Counter() for name in calls}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="probe", daemon=True)

    def _run(self) -> None:
        with requests.Session() as session:
            while not self._stop.wait(self.interval_s):
                for name, call in self.calls.items():
                    try:
                        self.answers[name][call(session).status_code] += 1
                    except requests.RequestException:
                        self.answers[name][0] += 1

    def failures(self) -> dict[str, Counter[int]]:
        """Per route, the answers that were a 5xx or none at all."""
        return {
            name: Counter({s: n for s, n in seen.items() if s == 0 or s >= 500}) for name, seen in self.answers.items()
        }

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
