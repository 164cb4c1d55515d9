"""The local gateway: the load balancer in front of the functions. It routes by the route table
to each function's process (gateway/upstream.py; or, in the single-process topology, to its app
in this process), with the load balancer's and Cloud Armor's duties done here: per-client rate
limits, a request size limit and JSON errors for unknown routes. It imports no function code."""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway.rate_limit import TokenBuckets
from gateway.upstream import WsgiApp
from lib import errors, routing
from lib.config import Settings
from lib.http import error_response
from lib.routing import Route

# The app serving a deployed function, by its `<function>-<entry_point>` key.
Backend = Callable[[str], WsgiApp]
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _no_backend(key: str) -> WsgiApp:
    raise errors.Unavailable(f"{key} is not served here")


def client_key(request: Request) -> str:
    """A hash of the bearer token when one is sent (never the token itself), else the client IP."""
    header = request.headers.get("Authorization", "")
    if header:
        return "tok:" + hashlib.sha256(header.encode()).hexdigest()[:32]
    return "ip:" + (request.remote_addr or "unknown")


class Gateway:
    def __init__(
        self, config: Settings, own_handlers: dict[str, Callable[..., Response]], backend: Backend = _no_backend
    ) -> None:
        self.config = config
        self.backend = backend
        self.routes = {r.name: r for r in routing.routes()}
        self.matcher = routing.url_map(routing.routes())
        self.own_handlers = own_handlers
        self.buckets = {
            "app": TokenBuckets(config.rate_app_burst, config.rate_app_per_second),
            "billing": TokenBuckets(config.rate_billing_burst, config.rate_billing_per_second),
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            if _CONTROL_CHARACTERS.search(request.path):
                # Functions' own routers do not match such paths and would answer in HTML.
                raise errors.InvalidArgument("path: control characters are not allowed")
            route_name, params = routing.match(self.matcher, request)
            route = self.routes[route_name]
            self._limit_rate(route, request)
            if route.function == "gateway":
                return self.own_handlers[route.name](request, **params)(environ, start_response)
            self._buffer_body(environ, request)
            return self.backend(f"{route.function}-{route.entry_point}")(environ, start_response)
        except errors.ApiError as exc:
            return error_response(exc)(environ, start_response)

    def _limit_rate(self, route: Route, request: Request) -> None:
        buckets = self.buckets.get(route.rate_limit)
        if buckets is None:
            return
        decision = buckets.take(f"{route.rate_limit}:{client_key(request)}", time.monotonic())
        if not decision.allowed:
            raise errors.RateLimited("too many requests; slow down", retry_after_s=decision.retry_after_s)

    def _buffer_body(self, environ: dict[str, Any], request: Request) -> None:
        """Reads at most the size limit, so neither a large Content-Length nor a chunked
        stream gets more than that into a function."""
        limit = self.config.max_request_bytes
        if (request.content_length or 0) > limit:
            raise errors.PayloadTooLarge(f"the body is over {limit} bytes")
        body = request.stream.read(limit + 1)
        if len(body) > limit:
            raise errors.PayloadTooLarge(f"the body is over {limit} bytes")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)


def create_gateway(config: Settings, backend: Backend, openapi_json: str) -> Gateway:
    from gateway import cdn, reference

    return Gateway(
        config,
        {
            "openapi": lambda request: Response(openapi_json, mimetype="application/json"),
            "docs": reference.page,
            "docs_asset": reference.asset,
            "media": cdn.LocalCdn(config),
        },
        backend,
    )
