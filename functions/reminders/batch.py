"""The body of a send task: the contract between the tick, which enqueues it, and the send
function, which reads it. Its own module so the tick does not load the sender's FCM client."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from functions.reminders.kinds import Kind


class DueUser(BaseModel):
    # A Firestore document ID: printable ASCII without '/', and not of the reserved __x__ form.
    uid: str = Field(pattern=r"^[!-.0-~]{1,128}$")
    local_date: date
    # The slot's instant: "already checked in today" is judged for it. Absent in tasks enqueued
    # before it was added; those are judged at the send.
    due_at: AwareDatetime | None = None
    # Absent in tasks enqueued before there were kinds: those were all daily reminders.
    kind: Kind = Kind.DAILY_REMINDER

    @field_validator("uid")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value.startswith("__") and value.endswith("__"):
            raise ValueError("is a reserved document ID")
        return value


class Batch(BaseModel):
    """The body of a send task, as the tick enqueues it."""

    batch: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$")
    day: date
    users: list[DueUser] = Field(max_length=500)
