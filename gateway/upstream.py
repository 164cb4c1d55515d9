"""Forwarding to the function processes, as the load balancer forwards to Cloud Run: one pool of
keep-alive connections per function, the client's address appended to X-Forwarded-For, and every
other end-to-end header (X-Cloud-Trace-Context among them) passed on unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import urllib3
from werkzeug.wrappers import Request

from lib import errors

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# RFC 9110 7.6.1: connection-specific headers are for one hop, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# A batch (500 reminders) or a reconciliation may take minutes, as Cloud Run's request timeout allows.
READ_TIMEOUT_S = 600.0


def forwarded_headers(request: Request) -> dict[str, str]:
    headers = {name: value for name, value in request.headers.items() if name.lower() not in HOP_BY_HOP}
    client = request.remote_addr or "unknown"
    earlier = request.headers.get("X-Forwarded-For")
    headers["X-Forwarded-For"] = f"{earlier}, {client}" if earlier else client
    return headers


def request_target(environ: dict[str, Any]) -> str:
    """The path and query as the client sent them (werkzeug keeps it in RAW_URI), so the function
    decodes exactly what it would have decoded."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw and raw.startswith("/"):
        return str(raw)
    target = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
    query = environ.get("QUERY_STRING")
    return f"{target}?{query}" if query else target


class Upstreams:
    """A WSGI app per function URL, sharing one connection pool manager."""

    def __init__(self, urls: dict[str, str], connections_per_function: int = 32) -> None:
        self.urls = urls
        self.pool = urllib3.PoolManager(
            num_pools=len(urls) + 1,
            maxsize=connections_per_function,
            retries=False,
            timeout=urllib3.Timeout(connect=2.0, read=READ_TIMEOUT_S),
        )

    def app(self, key: str) -> WsgiApp:
        base = self.urls[key]

        def forward(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            request = Request(environ)
            target = base + request_target(environ)
            try:
                answer = self.pool.urlopen(
                    request.method,
                    target,
                    body=request.get_data(),
                    headers=forwarded_headers(request),
                    redirect=False,
                    decode_content=False,
                )
            except urllib3.exceptions.HTTPError as exc:
                # The function's process is down or being replaced: the load balancer's 503.
                raise errors.Unavailable(f"{key} is not answering; try again shortly") from exc
            headers = [(name, value) for name, value in answer.headers.items() if name.lower() not in HOP_BY_HOP]
            start_response(f"{answer.status} {answer.reason or ''}".rstrip(), headers)
            return [answer.data]

        return forward
