"""The single-process topology: each function's functions-framework app inside the gateway's
process (one interpreter, one GIL, one crash radius), kept to compare with one process per
function (bench/isolation.py)."""

from __future__ import annotations

import functools

import functions_framework

from gateway.upstream import WsgiApp
from lib.routing import ROUTES_FILE

FUNCTIONS_DIR = ROUTES_FILE.parent.parent / "functions"


@functools.cache
def function_app(key: str) -> WsgiApp:
    """The same app `functions-framework --target=<entry_point>` serves in the cloud."""
    function, entry_point = key.split("-", 1)
    app: WsgiApp = functions_framework.create_app(  # type: ignore[no-untyped-call]
        target=entry_point, source=str(FUNCTIONS_DIR / function / "main.py"), signature_type="http"
    )
    return app
