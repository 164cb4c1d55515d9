"""What other concerns may use of reminders (each imports nothing else from it; a unit test
holds that): asking for an account notice."""

from __future__ import annotations

from functions.reminders.kinds import Kind
from functions.reminders.notices import notify

__all__ = ["Kind", "notify"]
