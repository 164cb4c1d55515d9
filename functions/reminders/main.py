"""Entry points of reminders: reminder settings, notification preferences and opens, devices
(app), tick, batch send and
token sweep (Cloud Scheduler and Cloud Tasks).

Each entry point is its own Cloud Function, and each imports its concern module on its first
request: the tick needs Cloud Tasks, the sender firebase-admin's messaging (and httpx), the
settings neither, and a cold start should not load what its requests never use.
"""

from __future__ import annotations

from datetime import UTC, datetime

import flask

from functions.reminders import devices, notification_preferences, opens, preferences
from functions.reminders.batch import Batch
from lib import errors, log
from lib.auth import Caller
from lib.config import settings as current_settings
from lib.http import Reply, json_response, parse_body
from lib.routing import serve


def _now() -> datetime:
    return datetime.now(UTC)


def put_reminder(request: flask.Request, caller: Caller) -> Reply:
    setting = parse_body(request, preferences.ReminderSetting)
    return preferences.save_reminder(caller.uid, setting, _now()).model_dump(mode="json")


def get_notification_preferences(request: flask.Request, caller: Caller) -> Reply:
    return notification_preferences.read_preferences(caller.uid).model_dump()


def put_notification_preferences(request: flask.Request, caller: Caller) -> Reply:
    chosen = parse_body(request, notification_preferences.NotificationPreferences)
    return notification_preferences.save_preferences(caller.uid, chosen).model_dump()


def post_notification_opened(request: flask.Request, caller: Caller, message_id: str) -> Reply:
    return opens.record_open(caller.uid, message_id, _now()).model_dump(mode="json")


def _installation_id(value: str) -> str:
    if not devices.valid_installation_id(value):
        raise errors.InvalidArgument(
            "installation_id: 1 to 200 letters, digits, '-' or '_', not both starting and ending with '__'"
        )
    return value


def put_device(request: flask.Request, caller: Caller, installation_id: str) -> Reply:
    registration = parse_body(request, devices.DeviceRegistration)
    view = devices.register_device(caller.uid, _installation_id(installation_id), registration, _now())
    return view.model_dump(mode="json")


def delete_device(request: flask.Request, caller: Caller, installation_id: str) -> Reply:
    devices.forget_device(caller.uid, _installation_id(installation_id))
    return {"installation_id": installation_id, "deleted": True}


def run_tick(request: flask.Request) -> Reply:
    from functions.reminders import tick as scheduler_tick

    body = parse_body(request, scheduler_tick.TickRequest)
    if body.now is not None and not current_settings().is_local:
        raise errors.PermissionDenied("a tick at a chosen instant is for local use only")
    report = scheduler_tick.run_tick(body.now or _now())
    # On the request line: the absence alerts (terraform/monitoring.tf) count ticks that found users due.
    log.bind(due=report.due, batches=report.batches)
    return {"due": report.due, "batches": report.batches, "docs_read": report.docs_read}


def send_batch_task(request: flask.Request) -> Reply:
    from functions.reminders import delivery

    batch = parse_body(request, Batch)
    retry_count = int(request.headers.get("X-CloudTasks-TaskRetryCount", "0") or 0)
    report = delivery.deliver(batch, retry_count, _now())
    # On the request line: the alerts count batches that sent, and batches failing for a share of
    # users; the dashboard sums pushes by the batch's kinds.
    kinds = ",".join(sorted({user.kind.value for user in batch.users}))
    log.bind(
        kind=kinds, skipped=delivery.skipped(report.counts), **delivery.line_fields(len(batch.users), report.counts)
    )
    if report.retry_after_s is not None:
        # Cloud Tasks retries the task; what was sent is settled and will be skipped.
        cls = errors.RateLimited if report.quota_exceeded else errors.Unavailable
        raise cls("some reminders of this batch must be retried", retry_after_s=report.retry_after_s)
    return json_response(dict(report.counts))


def sweep_tokens(request: flask.Request) -> Reply:
    from functions.reminders import sweep as token_sweep

    return {"removed": token_sweep.sweep_idle_devices(_now())}


settings = serve(
    "reminders",
    "settings",
    {
        "reminder_put": put_reminder,
        "notifications_get": get_notification_preferences,
        "notifications_put": put_notification_preferences,
        "notification_opened": post_notification_opened,
        "device_put": put_device,
        "device_delete": delete_device,
    },
)
tick = serve("reminders", "tick", {"reminders_tick": run_tick})
send_batch = serve("reminders", "send_batch", {"reminders_send": send_batch_task})
sweep = serve("reminders", "sweep", {"tokens_sweep": sweep_tokens})
