"""How a device is addressed for a push message. Apart from lib/push so that code which only
stores or reads devices does not load firebase-admin's messaging client (and httpx with it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Address:
    """A device: addressed by its Firebase installation ID unless it registered a legacy token."""

    fid: str
    token: str | None = None
