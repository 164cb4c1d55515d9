"""GET /v1/me/export: every document stored about the caller (user_data.py), as JSON, with
device tokens redacted (a push token lets its holder send notifications to the device)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from functions.auth_hooks import user_data

REDACTED = "[redacted]"
SECRET_KEYS = frozenset({"token", "fcm_token"})


class ExportedDocument(BaseModel):
    path: str
    data: dict[str, Any]


class DataExport(BaseModel):
    uid: str
    exported_at: datetime
    documents: list[ExportedDocument]


def redacted(value: Any) -> Any:
    """The value with every secret key's value replaced, at any depth."""
    if isinstance(value, dict):
        return {k: REDACTED if k in SECRET_KEYS and v is not None else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value


def export_of(uid: str) -> DataExport:
    documents = [
        ExportedDocument(path=s.reference.path, data=redacted(s.to_dict() or {})) for s in user_data.user_snapshots(uid)
    ]
    return DataExport(uid=uid, exported_at=datetime.now(UTC), documents=documents)
