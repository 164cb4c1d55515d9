"""The unit tier's guard: while a unit test runs, opening a socket, starting a process or opening
a file outside the tree (or the temporary folder) raises ImpureUnitTest instead."""

from __future__ import annotations

import builtins
import io
import mimetypes
import os
import socket
import subprocess
import sys
import tempfile
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Read-only data a pure test may still load: the interpreter's and the libraries' own files, the
# time zone database that zoneinfo reads, and the system's MIME types that mimetypes reads (a
# response that sends a file names its type from them).
READABLE = (sys.prefix, sys.base_prefix, sys.exec_prefix, *zoneinfo.TZPATH, *mimetypes.knownfiles)

# The spawning calls of os; the exec* and spawn* variants all end in one of these.
SPAWNS = ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system", "execv", "execve", "popen")


class ImpureUnitTest(BaseException):
    """A BaseException, so that code under test catching Exception cannot swallow it."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"a unit test may not {what}: tests/unit holds pure tests only. Move the test to the "
            "tier that matches what it needs (docs/testing.md, 'Tiers')."
        )


def _refuse(what: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ImpureUnitTest(what)

    return refuse


def _writes(mode: str) -> bool:
    return any(flag in mode for flag in "wax+")


def _allowed(path: Path, mode: str) -> bool:
    writable = (ROOT, Path(tempfile.gettempdir()).resolve())
    roots = writable if _writes(mode) else (*writable, *(Path(p).resolve() for p in READABLE))
    return any(path.is_relative_to(root) for root in roots)


def _guarded_open(real: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | bytes | os.PathLike):
            path = Path(os.fsdecode(file)).resolve()
            if not _allowed(path, mode):
                raise ImpureUnitTest(f"open {path} (mode {mode!r}) outside the repository and the temporary folder")
        return real(file, mode, *args, **kwargs)

    return guarded


@contextmanager
def pure() -> Iterator[None]:
    """Refuses sockets, processes and files outside the tree until the block ends."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("connect", "connect_ex", "bind"):
            patch.setattr(socket.socket, name, _refuse(f"{name} a socket"))
        patch.setattr(subprocess.Popen, "_execute_child", _refuse("start a subprocess"))
        for name in SPAWNS:
            if hasattr(os, name):
                patch.setattr(os, name, _refuse(f"call os.{name}"))
        opener = _guarded_open(builtins.open)
        patch.setattr(builtins, "open", opener)
        patch.setattr(io, "open", opener)
        yield
