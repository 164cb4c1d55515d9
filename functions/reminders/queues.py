"""The reminders queues and the send task of one batch."""

from __future__ import annotations

from datetime import datetime

from google.cloud import tasks_v2

from functions.reminders.batch import Batch
from lib import tasks
from lib.config import Settings


def reminder_queues(config: Settings) -> list[str]:
    """Full names of the reminder queues: `reminders`, then `reminders-1`, ... per shard."""
    parent = f"projects/{config.google_cloud_project}/locations/{config.region}/queues"
    names = [config.reminders_queue] + [
        f"{config.reminders_queue}-{i}" for i in range(1, config.reminders_queue_shards)
    ]
    return [f"{parent}/{name}" for name in names]


def send_task(queue: str, batch: Batch, config: Settings, send_at: datetime | None = None) -> tasks_v2.Task:
    """The send task of `batch`, named after it and dispatched from `send_at`."""
    return tasks.http_task(
        queue,
        batch.batch,
        config.reminders_send_url,
        batch.model_dump(mode="json"),
        oidc_account=config.reminders_task_service_account,
        schedule_time=send_at,
    )


def enqueue_batch(queue: str, batch: Batch, config: Settings, send_at: datetime | None = None) -> bool:
    """Enqueues the send task of `batch`; False when that task already exists."""
    return tasks.enqueue(queue, send_task(queue, batch, config, send_at))
