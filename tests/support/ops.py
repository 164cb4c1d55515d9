"""Shared by the CLI tests: the CLI quiets and redirects the backend's logger for its own
process; in the test process that logger must be given back as other tests expect it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from lib import log


@pytest.fixture(autouse=True)
def backend_logger_restored() -> Iterator[None]:
    backend = logging.getLogger("wellness")
    log.get_logger("ops")
    level = backend.level
    streams = [(h, h.stream) for h in backend.handlers if isinstance(h, logging.StreamHandler)]
    yield
    backend.setLevel(level)
    for handler, stream in streams:
        handler.setStream(stream)
