"""Cloud Tasks: the client (created once, pointed at the emulator when local), HTTP tasks under
deterministic names, so the same batch enqueued twice is one task, and enqueueing them."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import grpc  # type: ignore[import-untyped]
from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

from lib.config import settings

# tasks.create, and actAs on the account whose OIDC token a task carries.
IAM_PERMISSIONS = frozenset({"cloudtasks.tasks.create", "iam.serviceAccounts.actAs"})


def oidc_audience(url: str) -> str:
    """The target function's own URL, without the path: the audience Cloud Scheduler's tokens
    name too (terraform/scheduler.tf), and the one the target checks. Cloud Tasks would
    otherwise name the whole task URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@functools.cache
def client() -> tasks_v2.CloudTasksClient:
    config = settings()
    if config.cloud_tasks_emulator_host:
        # The emulator speaks plain gRPC and takes no credentials.
        channel = grpc.insecure_channel(config.cloud_tasks_emulator_host)
        transport = CloudTasksGrpcTransport(channel=channel, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
        return tasks_v2.CloudTasksClient(transport=transport)
    return tasks_v2.CloudTasksClient()


def http_task(
    queue: str,
    name: str,
    url: str,
    body: Mapping[str, Any],
    *,
    oidc_account: str = "",
    schedule_time: datetime | None = None,
) -> tasks_v2.Task:
    """The HTTP task `queue/tasks/name` POSTing `body` as JSON to `url`. With `oidc_account`, it
    carries that account's OIDC token, which Cloud Run requires. With `schedule_time`, it is not
    dispatched before then."""
    request = tasks_v2.HttpRequest(
        url=url,
        http_method=tasks_v2.HttpMethod.POST,
        headers={"Content-Type": "application/json"},
        body=json.dumps(body, separators=(",", ":")).encode(),
    )
    if oidc_account:
        request.oidc_token = tasks_v2.OidcToken(service_account_email=oidc_account, audience=oidc_audience(url))
    return tasks_v2.Task(name=f"{queue}/tasks/{name}", http_request=request, schedule_time=schedule_time)


def enqueue(queue: str, task: tasks_v2.Task) -> bool:
    """Creates `task` on `queue`; False when a task of that name already exists (Cloud Tasks
    remembers names for about an hour after a task ends; the emulator does not, so receivers stay
    idempotent on their own)."""
    try:
        client().create_task(parent=queue, task=task)
    except gexc.AlreadyExists:
        return False
    return True
