"""The demo catalogue: content/{id} documents for the sample files under devstack/media/."""

from __future__ import annotations

from functions.content_urls.catalogue import COLLECTION, ContentItem
from lib import firestore as db

DEMO_ITEMS = (
    ContentItem(id="morning-breath", title="Morning breath", tier="free", kind="file", path="free/morning-breath.wav"),
    ContentItem(
        id="evening-wind-down",
        title="Evening wind-down",
        tier="premium",
        kind="file",
        path="premium/evening-wind-down.wav",
    ),
    ContentItem(
        id="deep-sleep", title="Deep sleep", tier="premium", kind="stream", path="premium/deep-sleep/index.m3u8"
    ),
)


def write_items(items: tuple[ContentItem, ...] = DEMO_ITEMS) -> None:
    """Writes each item to content/{id}, replacing what is there, so running it again changes nothing."""
    batch = db.client().batch()
    for item in items:
        batch.set(db.client().collection(COLLECTION).document(item.id), item.model_dump(exclude={"id"}))
    batch.commit()
