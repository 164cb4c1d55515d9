"""FCM through firebase-admin messaging, and what each per-message answer means for us.

firebase-admin has no endpoint setting: its FCM URL is the class constant
`_MessagingService.FCM_URL`, read when the messaging service is first created. Where
settings().fcm_endpoint names a server (the local FCM), it is pointed there, only here, first.
"""

from __future__ import annotations

import enum
import functools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import firebase_admin
from firebase_admin import exceptions as fb_exc
from firebase_admin import messaging

from lib import firebase
from lib.config import settings
from lib.push_address import Address

# FCM HTTP v1 messages:send.
IAM_PERMISSIONS = frozenset({"cloudmessaging.messages.create"})


class Delivery(enum.Enum):
    SENT = "sent"
    DEAD_ADDRESS = "dead_address"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    delivery: Delivery
    error_code: str | None = None
    retry_after_s: int | None = None


# The token (or installation) is gone or is not one of ours: drop it at once.
_DEAD = (messaging.UnregisteredError, messaging.SenderIdMismatchError, fb_exc.InvalidArgumentError)
# FCM or the quota is the problem, not the token: try again later.
_RETRYABLE = (
    messaging.QuotaExceededError,
    fb_exc.UnavailableError,
    fb_exc.InternalError,
    fb_exc.DeadlineExceededError,
    fb_exc.UnknownError,
)


def _retry_after_s(error: fb_exc.FirebaseError) -> int | None:
    response = error.http_response
    header = response.headers.get("Retry-After") if response is not None else None
    return int(header) if header and header.isdigit() else None


def outcome_of(response: messaging.SendResponse) -> Outcome:
    """What one answer of send_each means. The message we send is fixed and valid, so an
    INVALID_ARGUMENT names the address as invalid."""
    if response.success:
        return Outcome(Delivery.SENT)
    error = response.exception
    code = getattr(error, "code", None)
    if isinstance(error, _DEAD):
        return Outcome(Delivery.DEAD_ADDRESS, code)
    if isinstance(error, _RETRYABLE):
        return Outcome(Delivery.RETRY, code, _retry_after_s(error))
    return Outcome(Delivery.FAILED, code)


@functools.cache
def app() -> firebase_admin.App:
    """firebase-admin's app, with FCM's address set first where a local FCM is named."""
    config = settings()
    if config.fcm_endpoint:
        messaging._MessagingService.FCM_URL = config.fcm_endpoint.rstrip("/") + "/v1/projects/{0}/messages:send"
    return firebase.messaging_app()


def message(address: Address, title: str, body: str, data: Mapping[str, str]) -> messaging.Message:
    notification = messaging.Notification(title=title, body=body)
    if address.token is None:
        return messaging.Message(fid=address.fid, notification=notification, data=dict(data))
    # Legacy apps registered a token; firebase-admin warns that Message.token is deprecated,
    # and the warning is the reason FIDs are preferred, not news at send time.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return messaging.Message(token=address.token, notification=notification, data=dict(data))


def send_each(messages: Sequence[messaging.Message]) -> list[Outcome]:
    """One outcome per message, in order; firebase-admin sends them side by side (a thread each)."""
    if not messages:
        return []
    batch = messaging.send_each(list(messages), app=app())
    return [outcome_of(response) for response in batch.responses]
