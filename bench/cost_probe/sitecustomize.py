"""Loaded by every function process that `bench.cost` starts (this folder leads its PYTHONPATH),
never in production: counts each billable operation at the client, where it happens.

Each Firestore RPC, Cloud Tasks call and HTTP call to Auth, FCM or Stripe appends one JSON line
to `$COST_COUNTS_DIR/<pid>.jsonl`: the route it served (the request's route, else the process's
entry point), the service, the operation and the units Google bills for it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

_DIR = os.environ.get("COST_COUNTS_DIR", "")
# "baseline" in the process bench.cost starts from an earlier revision, to compare a change.
_VARIANT = os.environ.get("COST_VARIANT", "current")
_LOCK = threading.Lock()


def _entry_point() -> str:
    target = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--target=")), "")
    source = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--source=")), "")
    function = os.path.basename(os.path.dirname(source))
    return f"{function}-{target}" if function and target else "process"


_UNIT = _entry_point()


def _route() -> str:
    """The route the current request matched (lib.log's context), else the process's entry point."""
    log = sys.modules.get("lib.log")
    fields = log._context.get() if log is not None else {}
    flask = sys.modules.get("flask")
    if fields.get("route") and flask is not None and flask.has_request_context():
        return f"{flask.request.method} {fields['route']}"
    return _UNIT


def record(service: str, operation: str, **units: int) -> None:
    route = _route()
    line = json.dumps(
        {"unit": _UNIT, "route": route, "variant": _VARIANT, "service": service, "operation": operation, **units}
    )
    with _LOCK, open(os.path.join(_DIR, f"{os.getpid()}.jsonl"), "a") as out:
        out.write(line + "\n")


class _Counted:
    """A streamed response that records its billable reads as they arrive: a caller may stop
    reading early (a single get reads one response and leaves)."""

    def __init__(self, wrapped: Any, operation: str, is_read: Callable[[Any], bool], at_least: int) -> None:
        self._wrapped, self._operation, self._is_read = wrapped, operation, is_read
        self._owed = at_least  # a query is billed one read even when it returns nothing

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            response = next(self._wrapped)
        except StopIteration:
            if self._owed:
                record("firestore", self._operation, reads=self._owed)
                self._owed = 0
            raise
        if self._is_read(response):
            record("firestore", self._operation, reads=1)
            self._owed = 0
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


def _is_delete(write: Any) -> bool:
    if isinstance(write, dict):
        return "delete" in write
    return bool(getattr(write, "_pb", write).WhichOneof("operation") == "delete")


def _writes(request: Any) -> tuple[int, int]:
    """(writes, deletes) in a commit, whether the client passed the request as a message or a dict."""
    writes = request["writes"] if isinstance(request, dict) else request.writes
    deletes = sum(1 for w in writes if _is_delete(w))
    return len(writes) - deletes, deletes


def _install_firestore() -> None:
    from google.cloud.firestore_v1.services.firestore.client import FirestoreClient

    commit, batch_get = FirestoreClient.commit, FirestoreClient.batch_get_documents
    run_query, run_aggregation = FirestoreClient.run_query, FirestoreClient.run_aggregation_query

    def counted_commit(self: Any, request: Any = None, **kwargs: Any) -> Any:
        writes, deletes = _writes(request)
        response = commit(self, request=request, **kwargs)
        record("firestore", "commit", writes=writes, deletes=deletes)
        return response

    def counted_batch_get(self: Any, request: Any = None, **kwargs: Any) -> Any:
        # A document asked for and not found is billed as a read too.
        responses = batch_get(self, request=request, **kwargs)
        return _Counted(responses, "get", lambda r: bool(r.found or r.missing), at_least=0)

    def counted_query(self: Any, request: Any = None, **kwargs: Any) -> Any:
        responses = run_query(self, request=request, **kwargs)
        return _Counted(responses, "query", lambda r: bool(r.document.name), at_least=1)

    def counted_aggregation(self: Any, request: Any = None, **kwargs: Any) -> Any:
        # Billed one read per batch of up to 1,000 index entries: counted as one, the least.
        responses = run_aggregation(self, request=request, **kwargs)
        return _Counted(responses, "aggregation", lambda r: False, at_least=1)

    FirestoreClient.commit = counted_commit  # type: ignore[method-assign]
    FirestoreClient.batch_get_documents = counted_batch_get  # type: ignore[method-assign]
    FirestoreClient.run_query = counted_query  # type: ignore[method-assign]
    FirestoreClient.run_aggregation_query = counted_aggregation  # type: ignore[method-assign]


def _install_tasks() -> None:
    from google.cloud.tasks_v2 import CloudTasksClient

    create_task = CloudTasksClient.create_task

    def counted_create_task(self: Any, *args: Any, **kwargs: Any) -> Any:
        response = create_task(self, *args, **kwargs)
        record("tasks", "create_task", operations=1)
        return response

    CloudTasksClient.create_task = counted_create_task  # type: ignore[method-assign]


def _install_http() -> None:
    import requests

    hosts = {
        os.environ.get("FIREBASE_AUTH_EMULATOR_HOST", "-"): "auth",
        os.environ.get("FCM_ENDPOINT", "-").split("://")[-1]: "fcm",
        os.environ.get("STRIPE_API_BASE", "-").split("://")[-1]: "stripe",
    }
    send = requests.Session.send

    def counted_send(self: Any, request: Any, **kwargs: Any) -> Any:
        host = request.url.split("://", 1)[-1].split("/", 1)[0]
        response = send(self, request, **kwargs)
        if host in hosts:
            path = request.url.split("?", 1)[0].rsplit("/", 1)[-1]
            record(hosts[host], f"{request.method} {path}", calls=1)
        return response

    requests.Session.send = counted_send  # type: ignore[method-assign]


if _DIR:
    _install_firestore()
    _install_tasks()
    _install_http()
