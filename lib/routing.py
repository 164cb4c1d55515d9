"""The route table (gateway/routes.yaml) and the entry points built from it.

One table drives the local gateway, Terraform's URL map, the OpenAPI document and each
function's own dispatch, so a path is named in exactly one place.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import flask
import yaml
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.local import LocalProxy
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from lib import auth, deadline, deployment, errors, log, oidc
from lib.config import settings
from lib.http import Reply, error_response, to_response

ROUTES_FILE = Path(__file__).resolve().parent.parent / "gateway" / "routes.yaml"

AuthKind = Literal[
    "none",
    "user",
    "user_revoked",
    "stripe",
    "app_store_signature",
    "internal",
    "pubsub_push",
    "identity_platform",
    "cdn_signature",
]
RateClass = Literal["app", "billing", "none"]
# The routes the app calls: they answer within settings().app_deadline_s (see `bounded`).
APP_AUTH = frozenset({"user", "user_revoked"})
# Identity Platform fails a sign-up or sign-in whose blocking function has not answered in 7 s;
# a blocking function runs in flask's request context (firebase-functions answers with
# flask.jsonify), so it stays on its own thread and only its dependency calls are bounded.
BLOCKING_DEADLINE_S = 6.0
Handler = Callable[..., Reply]

_logger = log.get_logger("request")
_PARAM = re.compile(r"\{(\w+)(\*?)\}")


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    function: str
    entry_point: str
    auth: AuthKind
    rate_limit: RateClass
    summary: str
    request_model: str | None = None
    response_model: str | None = None

    @property
    def werkzeug_rule(self) -> str:
        """`{x}` matches one path segment, `{x*}` the rest of the path, slashes included."""
        return _PARAM.sub(lambda m: f"<path:{m[1]}>" if m[2] else f"<{m[1]}>", self.path)

    @property
    def template(self) -> str:
        """The path as an OpenAPI path template."""
        return _PARAM.sub(r"{\1}", self.path)

    @property
    def path_params(self) -> list[str]:
        return [name for name, _ in _PARAM.findall(self.path)]


@functools.cache
def routes() -> tuple[Route, ...]:
    # libyaml's loader, when present, parses the table far faster than the pure-Python one.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data: dict[str, Any] = yaml.load(ROUTES_FILE.read_text(), Loader=loader)  # noqa: S506 - a safe loader, C or Python
    return tuple(Route(**row) for row in data["routes"])


def routes_of(function: str, entry_point: str) -> tuple[Route, ...]:
    return tuple(r for r in routes() if r.function == function and r.entry_point == entry_point)


def url_map(table: tuple[Route, ...]) -> Map:
    return Map(
        [Rule(r.werkzeug_rule, methods=[r.method], endpoint=r.name) for r in table],
        strict_slashes=False,
        merge_slashes=False,
    )


def match(matcher: Map, request: Request) -> tuple[str, Mapping[str, Any]]:
    """The route name and path parameters of `request`: an unknown path is `errors.NotFound`, a
    known path with another method `errors.MethodNotAllowed`."""
    try:
        route_name, params = matcher.bind_to_environ(request.environ).match()
    except NotFound as exc:
        raise errors.NotFound(f"no route for {request.path}") from exc
    except MethodNotAllowed as exc:
        message = f"{request.method} is not allowed on {request.path}"
        raise errors.MethodNotAllowed(message, allowed=exc.valid_methods or ()) from exc
    return str(route_name), params


def serve(
    function: str, entry_point: str, handlers: Mapping[str, Handler]
) -> Callable[[flask.Request], flask.Response]:
    """The HTTP entry point for the routes of `function.entry_point` in the route table.

    `handlers` maps each route name to `handler(request, **path_params)`, or, on a `user` or
    `user_revoked` route, `handler(request, caller, **path_params)`: the route's `auth` is
    checked before the handler runs (see `guarded`), and an app route answers within the app
    deadline (see `bounded`). Every request logs one line (route, outcome, status, latency_ms)
    and every error answers the JSON shape of docs/api.md; an SDK's error for a dependency that
    did not answer is 503 `unavailable`. A body over
    `max_request_bytes` answers 413 before anything reads it: blocking functions take traffic
    straight from the internet, not through the load balancer.
    """
    deployment.check_start(function, entry_point)
    config = settings()
    max_bytes = config.max_request_bytes
    table = routes_of(function, entry_point)
    missing = {r.name for r in table} ^ set(handlers)
    if missing:
        raise LookupError(f"{function}.{entry_point}: handlers and route table differ on {sorted(missing)}")
    matcher = url_map(table)
    by_name = {r.name: r for r in table}
    guarded_handlers = {r.name: bounded(r, guarded(r, handlers[r.name]), config.app_deadline_s) for r in table}

    def entry(request: flask.Request) -> flask.Response:
        started = time.perf_counter()
        route_name = "unmatched"
        with log.log_context(**_trace_field(request)):
            try:
                route_name, params = match(matcher, request)
                log.bind(route=by_name[route_name].path)
                _limit_body(request, max_bytes)
                response = to_response(guarded_handlers[route_name](request, **params))
            except RequestEntityTooLarge:
                response = error_response(_too_large(max_bytes))
            except errors.ApiError as exc:
                log.bind(code=exc.code)
                response = error_response(exc)
            except Exception as exc:
                response = error_response(_unexpected(exc))
            _log_request(request, route_name, response, started)
        return response

    entry.__name__ = entry_point
    return entry


def guarded(route: Route, handler: Handler) -> Handler:
    """`handler` behind the check its route's `auth` names. `stripe`, `app_store_signature` and
    `identity_platform` handlers verify their own signatures; a kind `serve` does not know is
    refused here, at start."""
    if route.auth in ("user", "user_revoked"):
        check_revoked = route.auth == "user_revoked"

        def with_caller(request: flask.Request, /, **params: str) -> Reply:
            caller = auth.verify_caller(request.headers.get("Authorization"), check_revoked=check_revoked)
            return handler(request, caller, **params)

        return with_caller
    if route.auth == "internal":

        def internal(request: flask.Request, /, **params: str) -> Reply:
            oidc.check_internal_caller(request)
            return handler(request, **params)

        return internal
    if route.auth == "pubsub_push":

        def pushed(request: flask.Request, /, **params: str) -> Reply:
            oidc.check_push_caller(request)
            return handler(request, **params)

        return pushed
    if route.auth in ("none", "stripe", "app_store_signature", "identity_platform"):
        return handler
    raise ValueError(f"{route.name}: serve knows no auth kind {route.auth!r}")


def bounded(route: Route, handler: Handler, deadline_s: float) -> Handler:
    """`handler` (its token check included) within its route's time. An app route answers 503
    `unavailable` once `deadline_s` pass; a blocking function's dependency calls end a second
    before Identity Platform gives up on it; the tick, the sender and the Stripe webhook keep the
    function's own time (docs/decisions/0020-app-requests-answer-within-a-deadline.md)."""
    if route.auth == "identity_platform":

        def cooperative(request: flask.Request, /, **params: str) -> Reply:
            with deadline.expiring(BLOCKING_DEADLINE_S):
                return handler(request, **params)

        return cooperative
    if route.auth not in APP_AUTH:
        return handler

    def within(request: flask.Request, /, **params: str) -> Reply:
        # The request itself, not flask's proxy bound to this thread, goes to the worker; its body
        # is read here, so a handler past its deadline never reads a connection that moved on.
        own = request._get_current_object() if isinstance(request, LocalProxy) else request
        own.get_data(cache=True)
        return deadline.run_within(deadline_s, functools.partial(handler, own, **params))

    return within


def _unexpected(exc: Exception) -> errors.ApiError:
    """An error no handler turned into an ApiError: a dependency that did not answer is a 503,
    anything else a 500 with its stack trace logged."""
    unavailable = errors.unavailable_from(exc)
    if unavailable is not None:
        log.bind(code=unavailable.code)
        _logger.warning("a dependency did not answer", extra={"fields": {"error": type(exc).__name__}})
        return unavailable
    _logger.exception("unhandled error", extra={"fields": {"outcome": "error"}})
    return errors.Internal("internal error; it has been logged")


def _too_large(max_bytes: int) -> errors.PayloadTooLarge:
    return errors.PayloadTooLarge(f"the request body is over {max_bytes} bytes")


def _limit_body(request: flask.Request, max_bytes: int) -> None:
    """A declared length over the limit is refused at once; a chunked body is cut off at the
    limit as it is read (werkzeug raises RequestEntityTooLarge)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large(max_bytes)
    request.max_content_length = max_bytes


def _trace_field(request: flask.Request) -> dict[str, str]:
    trace = log.trace_from_header(request.headers.get("X-Cloud-Trace-Context"))
    return {log.TRACE_KEY: trace} if trace else {}


def _log_request(request: flask.Request, route_name: str, response: flask.Response, started: float) -> None:
    status = response.status_code
    outcome = "ok" if status < 400 else ("rejected" if status < 500 else "error")
    level = 40 if status >= 500 else (30 if status in (401, 403, 429) else 20)
    _logger.log(
        level,
        f"{request.method} {request.path} -> {status}",
        extra={
            "fields": {
                "operation": route_name,
                "method": request.method,
                "status": status,
                "outcome": outcome,
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            }
        },
    )
