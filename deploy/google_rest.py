"""Google REST calls that gcloud has no command for, authenticated with gcloud's own token and
billed to the project (x-goog-user-project). GOOGLEAPIS_ROOT points them at a local stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from typing import Any

REQUEST_TIMEOUT_SECONDS = 30


class GoogleRestError(Exception):
    """The call could not be made or Google refused it."""


def _local_url(url: str) -> str:
    """With GOOGLEAPIS_ROOT set, https://<service>.googleapis.com/<path> is <root>/<service>/<path>."""
    root = os.environ.get("GOOGLEAPIS_ROOT")
    if not root:
        return url
    host, _, path = url.removeprefix("https://").partition("/")
    return f"{root}/{host.removesuffix('.googleapis.com')}/{path}"


def _access_token() -> str:
    result = subprocess.run(["gcloud", "auth", "print-access-token"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GoogleRestError("gcloud auth print-access-token failed: log in with gcloud first")
    return result.stdout.strip()


def call(method: str, url: str, project: str, body: dict[str, Any] | None = None) -> int:
    """The HTTP status of the call; 4xx and 5xx are returned, not raised."""
    request = urllib.request.Request(  # noqa: S310 - callers pass fixed https Google API URLs
        _local_url(url),
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {_access_token()}",
            "x-goog-user-project": project,
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except urllib.error.URLError as exc:
        raise GoogleRestError(f"{method} {url}: {exc.reason}") from exc
