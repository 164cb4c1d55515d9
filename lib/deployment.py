"""What a deployed function reads from its environment, and the refusal to start without it.

`lib/function_settings.yaml` lists, per deployed function (`<function>-<entry_point>`), the
settings its code reads in production. Terraform gives each function exactly those, and a test
checks each list against the function's code, so a setting can be neither forgotten nor stray.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from lib import log
from lib.config import ENDPOINT_OVERRIDES, LOCAL_APP_STORE, LOCAL_ENDPOINTS, STAND_INS, Settings

SETTINGS_FILE = Path(__file__).resolve().parent / "function_settings.yaml"

_logger = log.get_logger("deployment")


class DeploymentError(RuntimeError):
    """The function's environment is not the one Terraform gives it; it must not serve."""


@functools.cache
def declared_settings() -> dict[str, frozenset[str]]:
    """Deployed function → the settings it reads in production."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    table: dict[str, list[str]] = yaml.load(SETTINGS_FILE.read_text(), Loader=loader)  # noqa: S506 - a safe loader
    return {key: frozenset(names) for key, names in table.items()}


def deployment_problems(names: Iterable[str], environ: Mapping[str, str]) -> list[str]:
    """Each setting the function reads must be given, and not as a local stand-in. On Cloud Run
    (K_SERVICE is set) no emulator may be named: the Auth emulator checks no token signature."""
    problems: list[str] = []
    if environ.get("ENVIRONMENT") != "production":
        problems.append("ENVIRONMENT: must be 'production' in a deployed function")
    for name in sorted(names):
        variable = name.upper()
        if variable not in environ:
            problems.append(f"{variable}: not set")
        elif name in STAND_INS and environ[variable] == str(Settings.model_fields[name].default):
            problems.append(f"{variable}: still holds the local stand-in {environ[variable]!r}")
    if "K_SERVICE" in environ:
        problems += [
            f"{n.upper()}: names a local emulator on Cloud Run"
            for n in (*LOCAL_ENDPOINTS, *LOCAL_APP_STORE)
            if environ.get(n.upper())
        ]
        problems += [
            f"{n.upper()}: replaces a Google endpoint on Cloud Run"
            for n in ENDPOINT_OVERRIDES
            if environ.get(n.upper())
        ]
    return problems


def check_start(function: str, entry_point: str, environ: Mapping[str, str] = os.environ) -> None:
    """Run at import by each entry point. Only the function Cloud Run serves (FUNCTION_TARGET)
    checks, and only in production; one ERROR line per offending variable, then a refusal."""
    if environ.get("ENVIRONMENT", "local") == "local":
        return
    target = environ.get("FUNCTION_TARGET")
    if target is not None and target != entry_point:
        return
    key = f"{function}-{entry_point}"
    names = declared_settings().get(key)
    problems = ["FUNCTION_TARGET: not set"] if target is None else []
    if names is None:
        problems.append(f"{SETTINGS_FILE.name}: lists no settings for {key}")
    problems += deployment_problems(names or (), environ)
    for problem in problems:
        _logger.error(f"{key} cannot start: {problem}", extra={"fields": {"function": key}})
    if problems:
        raise DeploymentError(f"{key} cannot start: " + "; ".join(problems))
