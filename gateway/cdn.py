"""The local Cloud CDN: GET /media/{path} serves a file from settings().media_dir only to a
request with a valid signed URL or Cloud-CDN-Cookie, checked by the same code and keys that
sign them; anything else is 403. Range requests answer 206, so players can seek."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from functions.content_urls.signing import COOKIE_NAME, Verdict, verify
from lib import errors, log
from lib.config import Settings
from lib.http import error_response
from lib.routing import ROUTES_FILE

ROOT = ROUTES_FILE.parent.parent
MEDIA_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".ts": "video/mp2t",
    ".mp4": "video/mp4",
}

_logger = log.get_logger("gateway.cdn")


def requested_url(request: Request) -> str:
    """The URL exactly as the client sent it: signatures cover that, not a decoded form."""
    raw = request.environ.get("RAW_URI")
    if not raw:
        query = request.query_string.decode("latin-1")
        raw = quote(request.path) + (f"?{query}" if query else "")
    return request.host_url.rstrip("/") + raw


class LocalCdn:
    def __init__(self, config: Settings) -> None:
        self.keys = config.cdn_signing_keys
        media_dir = Path(config.media_dir)
        self.root = (media_dir if media_dir.is_absolute() else ROOT / media_dir).resolve()

    def __call__(self, request: Request, path: str) -> Response:
        url, now = requested_url(request), int(time.time())
        # A browser sends one Cloud-CDN-Cookie per stream it may play (each with its own Path).
        cookies: list[str | None] = [*request.cookies.getlist(COOKIE_NAME)] or [None]
        verdicts = [verify(url, self.keys, now, cookie) for cookie in cookies]
        if Verdict.VALID not in verdicts:
            _logger.info("media refused", extra={"fields": {"media_path": path, "verdict": verdicts[0].value}})
            return error_response(errors.PermissionDenied("a valid signed URL or Cloud-CDN-Cookie is needed"))
        file = self._file(path)
        if file is None:
            return error_response(errors.NotFound(f"no media at {path}"))
        return send_file(file, request.environ, mimetype=MEDIA_TYPES.get(file.suffix), conditional=True)

    def _file(self, path: str) -> Path | None:
        """The file for `path`, never outside the media folder: a `..` segment could
        otherwise lead a cookie for one folder into another."""
        parts = path.split("/")
        if any(part in ("", ".", "..") or "\\" in part for part in parts):
            return None
        file = self.root.joinpath(*parts).resolve()
        return file if file.is_file() and file.is_relative_to(self.root) else None
