"""The catalogue: one content/{id} document per item (written by admins, and by devstack's
demo data), read here. An item is free or premium, a single file or a stream, and lives at
`path` in the media bucket; a stream's path is its playlist, whose folder holds its segments."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lib import errors, log, queries
from lib import firestore as db

IAM_PERMISSIONS = db.READS


COLLECTION = "content"
# Also the path parameter's pattern in /openapi.json (gateway/openapi.py), so it is anchored.
CONTENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
CONTENT_ID = re.compile(CONTENT_ID_PATTERN)
MAX_ITEMS = 500
ALL_ITEMS = queries.QueryShape(COLLECTION)

Tier = Literal["free", "premium"]
Kind = Literal["file", "stream"]

_logger = log.get_logger("content_urls.catalogue")


class ContentItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    title: str = Field(min_length=1)
    tier: Tier
    kind: Kind
    path: str = Field(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", max_length=512)

    @field_validator("path")
    @classmethod
    def _no_dot_segments(cls, value: str) -> str:
        if any(part in (".", "..") for part in value.split("/")):
            raise ValueError("must not contain . or .. segments")
        return value

    @model_validator(mode="after")
    def _stream_in_a_folder(self) -> ContentItem:
        if self.kind == "stream" and "/" not in self.path:
            raise ValueError("a stream's playlist must sit in its own folder")
        return self

    @property
    def stream_folder(self) -> str:
        """The folder whose every object a stream's cookie unlocks, with its trailing slash."""
        return self.path.rpartition("/")[0] + "/"


def get_item(content_id: str) -> ContentItem:
    if not CONTENT_ID.fullmatch(content_id):
        raise errors.NotFound(f"no content {content_id!r}")
    snapshot = db.client().collection(COLLECTION).document(content_id).get()
    if not snapshot.exists:
        raise errors.NotFound(f"no content {content_id!r}")
    return ContentItem.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id})


def list_items() -> list[ContentItem]:
    """Every well-formed item, by id; a malformed document is logged and left out rather
    than breaking the whole catalogue."""
    items = []
    for snapshot in queries.stream(ALL_ITEMS, db.client(), limit=MAX_ITEMS):
        try:
            items.append(ContentItem.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id}))
        except ValidationError as exc:
            _logger.warning(
                "malformed content document", extra={"fields": {"content_id": snapshot.id, "errors": exc.error_count()}}
            )
    return items
