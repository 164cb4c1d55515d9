"""Enqueued reminder tasks carry an OIDC token whose audience is the target function's URL."""

from __future__ import annotations

from typing import Any

import pytest

from lib import tasks

TARGET = "https://reminders-send-batch-123456789012.europe-west1.run.app/internal/reminders/send"
ACCOUNT = "reminders-tasks@wellness-prod.iam.gserviceaccount.com"


class _Recorder:
    def __init__(self) -> None:
        self.tasks: list[Any] = []

    def create_task(self, *, parent: str, task: Any) -> None:
        self.tasks.append(task)


def test_the_audience_is_the_origin_of_the_task_url() -> None:
    assert tasks.oidc_audience(TARGET) == "https://reminders-send-batch-123456789012.europe-west1.run.app"


def test_an_enqueued_task_names_the_target_function_as_audience(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(tasks, "client", lambda: recorder)
    queue = "projects/p/locations/l/queues/reminders"
    assert tasks.enqueue(queue, tasks.http_task(queue, "batch-1", TARGET, {"users": []}, oidc_account=ACCOUNT))
    token = recorder.tasks[0].http_request.oidc_token
    assert (token.service_account_email, token.audience) == (ACCOUNT, tasks.oidc_audience(TARGET))
