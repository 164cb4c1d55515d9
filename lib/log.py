"""One JSON object per line on stdout, in the Cloud Logging structured format.

Request context (trace, uid, route) rides in context variables so every line a request
writes carries it without threading it through each call.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lib.config import settings

_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("log_context", default={})  # noqa: B039

# Field names a log line must never carry, whatever a caller passes.
_SECRET_KEYS = frozenset({"token", "id_token", "authorization", "secret", "password", "api_key", "signature"})
TRACE_KEY = "logging.googleapis.com/trace"


class _CloudLoggingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        entry.update(_context.get())
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({k: v for k, v in fields.items() if k.lower() not in _SECRET_KEYS})
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _configure() -> logging.Logger:
    root = logging.getLogger("wellness")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(_CloudLoggingFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False
    return root


def get_logger(name: str) -> logging.Logger:
    return _configure().getChild(name)


def trace_from_header(header: str | None) -> str | None:
    """`X-Cloud-Trace-Context: TRACE_ID/SPAN;o=1` → `projects/P/traces/TRACE_ID`."""
    if not header:
        return None
    trace_id = header.split("/", 1)[0].strip()
    if not trace_id:
        return None
    return f"projects/{settings().google_cloud_project}/traces/{trace_id}"


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Adds fields to every line logged inside the block."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def fields() -> dict[str, Any]:
    """The fields of the current context, to carry them across threads."""
    return dict(_context.get())


def bind(**fields: Any) -> None:
    """Adds fields to the current context (e.g. the uid, once the token is verified)."""
    _context.set({**_context.get(), **fields})
