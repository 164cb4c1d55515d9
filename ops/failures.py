"""Exit codes scripts can rely on, and every failure turned into one line on stderr."""

from __future__ import annotations

import enum
import functools
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from lib import errors

P = ParamSpec("P")
R = TypeVar("R")

_stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1  # something unexpected; OPS_DEBUG=1 shows the traceback
    BAD_INPUT = 2  # a bad argument or option (click's usage errors use 2 as well)
    NOT_FOUND = 3  # no such user or event
    UNREACHABLE = 4  # the stack or a service did not answer
    REFUSED = 5  # not allowed against this environment (e.g. seeding a real project)
    INCOMPLETE = 6  # it ran, but some of the work is left (busy or failed events)
    UNHEALTHY = 7  # doctor: at least one check failed


class OpsError(Exception):
    exit_code = ExitCode.FAILED


class BadInput(OpsError):
    exit_code = ExitCode.BAD_INPUT


class NotFound(OpsError):
    exit_code = ExitCode.NOT_FOUND


class Unreachable(OpsError):
    exit_code = ExitCode.UNREACHABLE


class Refused(OpsError):
    exit_code = ExitCode.REFUSED


class Incomplete(OpsError):
    exit_code = ExitCode.INCOMPLETE


_API_STATUS_EXIT = {400: ExitCode.BAD_INPUT, 403: ExitCode.REFUSED, 404: ExitCode.NOT_FOUND, 409: ExitCode.INCOMPLETE}


def classify(exc: BaseException) -> tuple[ExitCode, str]:
    """The exit code and the one line to print for a failure."""
    # Imported on the first failure, so a command that succeeds, and `--help`, loads no SDK.
    import google.auth.exceptions
    import requests
    import stripe
    from google.api_core import exceptions as gexc

    unreachable = (
        gexc.ServiceUnavailable,
        gexc.DeadlineExceeded,
        gexc.RetryError,
        google.auth.exceptions.DefaultCredentialsError,
        google.auth.exceptions.TransportError,
        requests.ConnectionError,
        requests.Timeout,
        stripe.APIConnectionError,
    )
    if isinstance(exc, OpsError):
        return exc.exit_code, str(exc)
    if isinstance(exc, errors.ApiError):
        code = ExitCode.UNREACHABLE if exc.status >= 500 else _API_STATUS_EXIT.get(exc.status, ExitCode.FAILED)
        return code, f"{exc.message} ({exc.code})"
    if isinstance(exc, unreachable):
        return ExitCode.UNREACHABLE, f"a service did not answer: {type(exc).__name__}: {_first_line(exc)}"
    if isinstance(exc, stripe.InvalidRequestError) and exc.http_status == 404:
        return ExitCode.NOT_FOUND, f"Stripe has no such object: {exc.user_message or _first_line(exc)}"
    if isinstance(exc, gexc.PermissionDenied | gexc.Unauthenticated):
        return ExitCode.REFUSED, f"permission denied: {_first_line(exc)}"
    return ExitCode.FAILED, f"unexpected {type(exc).__name__}: {_first_line(exc)} (OPS_DEBUG=1 shows the traceback)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"


def reported(command: Callable[P, R]) -> Callable[P, R]:
    """Runs a command so that any failure ends as one `error: ...` line and its exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if os.environ.get("OPS_DEBUG"):
                raise
            code, line = classify(exc)
            _stderr.print(f"error: {line}", markup=False)
            raise typer.Exit(int(code)) from None

    return run
