"""The caller check of internal routes (Cloud Scheduler and Cloud Tasks targets).

Locally they answer only to 127.0.0.1.
"""

from __future__ import annotations

import flask

from lib import errors
from lib.config import settings

_LOOPBACK = frozenset({"127.0.0.1", "::1"})


def check_internal_caller(request: flask.Request) -> None:
    if settings().is_local and request.remote_addr not in _LOOPBACK:
        raise errors.PermissionDenied("internal routes answer only to the local machine")
