"""A stand-in for the Google REST APIs deploy/bootstrap.py reads (its RestProbe steps), served on
127.0.0.1 from the stand-in project's JSON file as <root>/<service>/<path> (GOOGLEAPIS_ROOT)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support import standin_cloud as cloud

# The address in the stand-in project that each GET finds.
RESOURCES = {
    f"/identitytoolkit/admin/v2/projects/{cloud.PROJECT}/config": "google_identity_platform_config.auth",
    f"/firebaserules/v1/projects/{cloud.PROJECT}/releases/cloud.firestore": "google_firebaserules_release.firestore",
}


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        # Firebase APIs refuse user credentials without a quota project:
        # https://cloud.google.com/docs/quotas/set-quota-project
        if not self.headers.get("Authorization", "").startswith("Bearer ") or not self.headers.get(
            "x-goog-user-project"
        ):
            status = 403
        elif self.path not in RESOURCES:
            status = 400
        else:
            status = 200 if RESOURCES[self.path] in cloud.load()["remote"] else 404
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the project file, not the request log."""


@contextmanager
def googleapis_server() -> Iterator[str]:
    """Yields the root URL; the handler reads STANDIN_STATE from this process's environment."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
