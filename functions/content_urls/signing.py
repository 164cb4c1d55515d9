"""Cloud CDN signed URLs and signed cookies, and their check (for the local CDN).

Cloud CDN's documented scheme: an HMAC-SHA1 with a 128-bit key, key and signature in
base64url. A signed URL signs the URL itself up to `KeyName=...`; a signed prefix (URL
parameter or `Cloud-CDN-Cookie`) signs a policy `URLPrefix=<base64url prefix>`,
`Expires`, `KeyName`, and then admits every URL that starts with that prefix.
`expires` is a Unix time in seconds; the request is refused from that second on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from enum import Enum
from urllib.parse import parse_qsl, urlsplit

COOKIE_NAME = "Cloud-CDN-Cookie"
SIGNING_PARAMS = frozenset({"URLPrefix", "Expires", "KeyName", "Signature"})

_B64 = r"[A-Za-z0-9_=-]+"
_NAME = r"[A-Za-z0-9_-]{1,63}"


def _policy_pattern(sep: str) -> str:
    return rf"URLPrefix=(?P<prefix>{_B64}){sep}Expires=(?P<expires>\d+){sep}KeyName=(?P<key>{_NAME})"


_SIGNED_URL = re.compile(
    rf"(?P<signed>.*[?&]Expires=(?P<expires>\d+)&KeyName=(?P<key>{_NAME}))&Signature=(?P<sig>{_B64})", re.S
)
_PREFIX_URL = re.compile(rf".*[?&](?P<signed>{_policy_pattern('&')})&Signature=(?P<sig>{_B64})", re.S)
_COOKIE = re.compile(rf"(?P<signed>{_policy_pattern(':')}):Signature=(?P<sig>{_B64})")


class Verdict(Enum):
    VALID = "valid"
    UNSIGNED = "unsigned"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown-key"
    BAD_SIGNATURE = "bad-signature"
    EXPIRED = "expired"
    OUTSIDE_PREFIX = "outside-prefix"


def signature(key_b64: str, message: str) -> str:
    digest = hmac.new(base64.urlsafe_b64decode(key_b64), message.encode("utf-8"), hashlib.sha1).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _query_names(url: str) -> set[str]:
    # Not urlsplit: it raises on some malformed hosts, and a request must only ever be refused.
    query = url.partition("?")[2].partition("#")[0]
    return {name for name, _ in parse_qsl(query, keep_blank_values=True)}


def _checked(url: str, key_name: str) -> str:
    """The separator to append parameters with; refuses what Cloud CDN would refuse to sign."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "#" in url:
        raise ValueError("only http(s) URLs with a host and no fragment can be signed")
    if not re.fullmatch(_NAME, key_name):
        raise ValueError(f"key name {key_name!r} must be 1-63 of A-Z a-z 0-9 _ -")
    reserved = _query_names(url) & SIGNING_PARAMS
    if reserved:
        raise ValueError(f"the URL to sign already carries {sorted(reserved)}")
    return "&" if parts.query else "?"


def _prefix_policy(url_prefix: str, key_name: str, expires: int, sep: str) -> str:
    encoded = base64.urlsafe_b64encode(url_prefix.encode("utf-8")).decode("ascii")
    return f"URLPrefix={encoded}{sep}Expires={expires}{sep}KeyName={key_name}"


def sign_url(url: str, key_name: str, key_b64: str, expires: int) -> str:
    signed = f"{url}{_checked(url, key_name)}Expires={expires}&KeyName={key_name}"
    return f"{signed}&Signature={signature(key_b64, signed)}"


def sign_url_prefix(url: str, url_prefix: str, key_name: str, key_b64: str, expires: int) -> str:
    separator = _checked(url, key_name)
    if not url.startswith(url_prefix):
        raise ValueError("the URL is not under the URL prefix")
    policy = _prefix_policy(url_prefix, key_name, expires, "&")
    return f"{url}{separator}{policy}&Signature={signature(key_b64, policy)}"


def sign_cookie(url_prefix: str, key_name: str, key_b64: str, expires: int) -> str:
    """The value of the Cloud-CDN-Cookie cookie (without its name)."""
    _checked(url_prefix, key_name)
    policy = _prefix_policy(url_prefix, key_name, expires, ":")
    return f"{policy}:Signature={signature(key_b64, policy)}"


def verify(url: str, keys: Mapping[str, str], now: int, cookie: str | None = None) -> Verdict:
    """Judges a request for `url` (the full URL as requested) as Cloud CDN would.

    A URL carrying `Signature` is judged by its own parameters, else the cookie value is.
    `keys` maps every accepted key name to its base64url key, so old and new keys both
    pass during a rotation. Signatures are compared in constant time, as strings, so a
    changed character is never forgiven by a lenient base64 decoder.
    """
    if "Signature" in _query_names(url):
        prefixed = _PREFIX_URL.fullmatch(url)
        if prefixed:
            return _judge(prefixed, url, keys, now)
        exact = _SIGNED_URL.fullmatch(url)
        return _judge(exact, None, keys, now) if exact else Verdict.MALFORMED
    if cookie is None:
        return Verdict.UNSIGNED
    policy = _COOKIE.fullmatch(cookie)
    return _judge(policy, url, keys, now) if policy else Verdict.MALFORMED


def _judge(match: re.Match[str], prefixed_url: str | None, keys: Mapping[str, str], now: int) -> Verdict:
    key = keys.get(match["key"])
    if key is None:
        return Verdict.UNKNOWN_KEY
    if not hmac.compare_digest(signature(key, match["signed"]), match["sig"]):
        return Verdict.BAD_SIGNATURE
    if now >= int(match["expires"]):
        return Verdict.EXPIRED
    if prefixed_url is None:
        return Verdict.VALID
    try:
        prefix = base64.urlsafe_b64decode(match["prefix"]).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return Verdict.MALFORMED
    return Verdict.VALID if prefixed_url.startswith(prefix) else Verdict.OUTSIDE_PREFIX
