"""Who may play what, and the signed URL or cookie that lets them (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pydantic import BaseModel

from functions.content_urls import signing
from functions.content_urls.catalogue import ContentItem, Kind, Tier
from lib import entitlements, errors
from lib.config import Settings


@dataclass(frozen=True)
class Signer:
    base_url: str
    key_name: str
    key_b64: str
    ttl_s: int


def signer_of(config: Settings) -> Signer:
    """Signing with the configured key name, under the media base URL."""
    key_name = config.cdn_signing_key_name
    return Signer(config.media_base_url, key_name, config.cdn_signing_keys[key_name], config.media_url_ttl_s)


class ContentSummary(BaseModel):
    id: str
    title: str
    tier: Tier
    kind: Kind
    locked: bool


class ContentList(BaseModel):
    items: list[ContentSummary]


class Access(BaseModel):
    """What the app plays: a signed URL for a file; for a stream, its playlist's URL, which
    plays with the Cloud-CDN-Cookie set on the same response."""

    content_id: str
    kind: Kind
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Cookie:
    value: str
    path: str
    expires_at: datetime


@dataclass(frozen=True)
class Grant:
    access: Access
    cookie: Cookie | None


def is_locked(item: ContentItem, plan: str) -> bool:
    return item.tier == "premium" and plan == entitlements.FREE


def catalogue_for(items: list[ContentItem], plan: str) -> ContentList:
    return ContentList(
        items=[
            ContentSummary(id=i.id, title=i.title, tier=i.tier, kind=i.kind, locked=is_locked(i, plan)) for i in items
        ]
    )


def grant(item: ContentItem, plan: str, signer: Signer, now: int) -> Grant:
    if is_locked(item, plan):
        raise errors.PermissionDenied("this item needs an active premium subscription")
    expires = now + signer.ttl_s
    expires_at = datetime.fromtimestamp(expires, UTC)
    url = f"{signer.base_url}/{item.path}"
    if item.kind == "file":
        signed = signing.sign_url(url, signer.key_name, signer.key_b64, expires)
        return Grant(Access(content_id=item.id, kind=item.kind, url=signed, expires_at=expires_at), None)
    prefix = f"{signer.base_url}/{item.stream_folder}"
    value = signing.sign_cookie(prefix, signer.key_name, signer.key_b64, expires)
    return Grant(
        Access(content_id=item.id, kind=item.kind, url=url, expires_at=expires_at),
        Cookie(value=value, path=urlsplit(prefix).path, expires_at=expires_at),
    )
