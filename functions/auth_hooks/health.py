"""GET /healthz through the load balancer: which dependencies answered within a short timeout.

One read of a document that does not exist and one Auth lookup of a uid that does not exist:
the cheapest calls that prove each service answers and this function's account may use it."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Literal

from firebase_admin import auth as fb_auth
from pydantic import BaseModel

from lib import firebase
from lib import firestore as db

IAM_PERMISSIONS = frozenset({"datastore.entities.get", "firebaseauth.users.get"})

TIMEOUT_S = 2.0
PROBE_ID = "healthz-probe"


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    firestore: bool
    auth: bool


@functools.cache
def _probes() -> ThreadPoolExecutor:
    # Not a context manager: a probe that hangs must not hold the answer past the timeout.
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


def _firestore() -> None:
    # One attempt: a retrying probe would go on in its thread after the answer was given.
    db.client().collection("health").document(PROBE_ID).get(retry=None, timeout=TIMEOUT_S)


def _auth() -> None:
    with contextlib.suppress(fb_auth.UserNotFoundError):  # Auth answered
        fb_auth.get_user(PROBE_ID, app=firebase.app())


def _answered(probe: Callable[[], None]) -> Callable[[], bool]:
    future = _probes().submit(probe)

    def result() -> bool:
        try:
            future.result(timeout=TIMEOUT_S)
        except (FutureTimeout, Exception):
            return False
        return True

    return result


def check_health() -> Health:
    firestore_ok, auth_ok = (answered() for answered in [_answered(_firestore), _answered(_auth)])
    return Health(status="ok" if firestore_ok and auth_ok else "degraded", firestore=firestore_ok, auth=auth_ok)
