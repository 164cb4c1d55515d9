"""Starts gcloud-tasks-emulator bound to 127.0.0.1 (it binds every interface by itself), with
Cloud Tasks' exponential backoff between attempts (the emulator retries a failed task at once,
so a target that is being restarted would use up every attempt within a second).

Runs in .venv-tasks, which holds the emulator and its protobuf<5 pin.
"""

import sys
from datetime import UTC, datetime, timedelta

import grpc
from gcloud_tasks_emulator import __main__ as emulator_cli
from gcloud_tasks_emulator import server as emulator_server

_grpc_server = grpc.server


def _loopback_grpc_server(*args, **kwargs):
    server = _grpc_server(*args, **kwargs)
    add_port = server.add_insecure_port
    server.add_insecure_port = lambda address: add_port(address.replace("[::]", "127.0.0.1"))
    return server


emulator_server.grpc.server = _loopback_grpc_server

# The queue's retry_config (terraform/tasks.tf: min_backoff 10s, max_doublings 4) scaled down
# tenfold, so tests wait seconds, not minutes: 1, 2, 4, 8 s.
MIN_BACKOFF_S = 1.0
MAX_DOUBLINGS = 4
_submit_task = emulator_server.QueueState.submit_task


def _submit_task_with_backoff(self, task_name, force_run=False):
    task = _submit_task(self, task_name, force_run)
    now = datetime.now(UTC)
    failed = task.last_attempt and 400 <= task.last_attempt.response_status.code < 600
    waiting = task.schedule_time and task.schedule_time >= now
    if failed and not waiting:
        delay = MIN_BACKOFF_S * 2 ** min(task.dispatch_count - 1, MAX_DOUBLINGS)
        task.schedule_time = now + timedelta(seconds=delay)
    return task


emulator_server.QueueState.submit_task = _submit_task_with_backoff

if __name__ == "__main__":
    sys.argv[0] = "gcloud-tasks-emulator"
    emulator_cli.main()
