"""Reading Cloud CDN credentials back in tests."""

from __future__ import annotations

import base64


def cookie_url_prefix(cookie: str) -> str:
    """The URL prefix a Cloud-CDN-Cookie value unlocks."""
    encoded = cookie.split(":", 1)[0].removeprefix("URLPrefix=")
    return base64.urlsafe_b64decode(encoded).decode()
