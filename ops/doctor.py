"""The facts `wellness-ops doctor` judges (ops/health.py), each read with a short timeout; a
dependency that does not answer becomes a ✗ row naming it, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lib.config import Settings, settings
from ops.failures import ExitCode, classify
from ops.health import JobAttempt, Row, queue_row, rules_row, scheduler_row, sends_row, tick_row
from ops.health import webhooks_row as judge_webhooks
from ops.reachability import Piece, require

RULES_FILE = Path(__file__).resolve().parent.parent / "firestore.rules"
TIMEOUT_S = 5.0
_GOOGLE_API = "https://{service}.googleapis.com/v1/{path}"


def rows(day: datetime, now: datetime) -> list[Row]:
    """Every row, each check on its own: one failing read spoils only its row."""
    config = settings()
    checks: list[tuple[str, str, Callable[[], Row]]] = [
        ("last tick", "Firestore", lambda: _tick(config, now)),
        ("sends", "Firestore", lambda: _sends(config, day)),
        ("queue", "Cloud Tasks", lambda: _queue(config, now)),
        ("webhooks", "Stripe or Firestore", lambda: _webhooks(config, now)),
        ("firestore rules", "the Firebase Rules API", lambda: _rules(config)),
        ("scheduler", "Cloud Scheduler", lambda: _scheduler(config)),
    ]
    found = []
    for check, what, judge in checks:
        try:
            found.append(judge())
        except Exception as exc:
            # The failure is the row's reason; the other rows still run.
            found.append(failed_row(check, what, exc))
    return found


def failed_row(check: str, what: str, exc: BaseException) -> Row:
    code, line = classify(exc)
    return Row(check, False, f"{what} unreachable: {line}" if code is ExitCode.UNREACHABLE else f"{what}: {line}")


def _daily(config: Settings, day: str) -> dict[str, Any]:
    require(config, Piece.FIRESTORE)
    from lib import firestore as db

    snapshot = db.client().collection("ops_daily").document(day).get(timeout=TIMEOUT_S)
    return snapshot.to_dict() or {}


def _tick(config: Settings, now: datetime) -> Row:
    for day in (now.date(), now.date() - timedelta(days=1)):
        last = _daily(config, day.isoformat()).get("last_tick_at")
        if isinstance(last, datetime):
            return tick_row(last, now)
    return tick_row(None, now)


def _sends(config: Settings, day: datetime) -> Row:
    counts = {k: v for k, v in _daily(config, day.date().isoformat()).items() if isinstance(v, int)}
    return sends_row(day.date().isoformat(), counts)


def _queue(config: Settings, now: datetime) -> Row:
    require(config, Piece.TASKS)
    from functions.reminders.queues import reminder_queues
    from lib import tasks

    created = []
    for queue in reminder_queues(config):
        for task in tasks.client().list_tasks(parent=queue, timeout=TIMEOUT_S, retry=None):
            when = task.create_time or task.schedule_time
            if when is not None:
                created.append(when.astimezone(UTC))
    return queue_row(created, now)


def _webhooks(config: Settings, now: datetime) -> Row:
    require(config, Piece.STRIPE, Piece.FIRESTORE)
    from functions.stripe_webhook import events, reconciliation
    from lib import stripe_api
    from lib.idempotency import RecordStatus

    since = now - timedelta(hours=config.stripe_reconcile_window_h)
    params = {"delivery_success": False, "created": {"gte": int(since.timestamp())}, "limit": 100}
    undelivered = stripe_api.client().v1.events.list(params)  # type: ignore[arg-type]
    undelivered_count = sum(1 for _ in undelivered.auto_paging_iter())
    records = events.event_records()
    unprocessed = []
    for event in reconciliation.recent_events(since):
        record = records.record(str(event["id"]))
        if record is None or record.status is not RecordStatus.COMPLETED:
            unprocessed.append(datetime.fromtimestamp(int(event["created"]), UTC))
    return judge_webhooks(undelivered_count, unprocessed, now)


def _rules(config: Settings) -> Row:
    repository = RULES_FILE.read_text()
    if config.is_local:
        return rules_row(None, repository)
    session = _google_session()
    release = _get(session, "firebaserules", f"projects/{config.google_cloud_project}/releases/cloud.firestore")
    ruleset = _get(session, "firebaserules", release["rulesetName"])
    files = ruleset.get("source", {}).get("files", [])
    return rules_row("".join(f.get("content", "") for f in files), repository)


def _scheduler(config: Settings) -> Row:
    if config.is_local:
        return scheduler_row(None)
    session = _google_session()
    path = f"projects/{config.google_cloud_project}/locations/{config.region}/jobs"
    jobs = _get(session, "cloudscheduler", path).get("jobs", [])
    return scheduler_row([_attempt(job) for job in jobs])


def _attempt(job: dict[str, Any]) -> JobAttempt:
    last = job.get("lastAttemptTime")
    return JobAttempt(
        name=str(job["name"]).rsplit("/", 1)[-1],
        state=str(job.get("state", "")),
        last_attempt=datetime.fromisoformat(last.replace("Z", "+00:00")) if last else None,
        status_code=int(job.get("status", {}).get("code", 0)),
    )


def _google_session() -> Any:
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    return AuthorizedSession(credentials)  # type: ignore[no-untyped-call]


def _get(session: Any, service: str, path: str) -> dict[str, Any]:
    response = session.get(_GOOGLE_API.format(service=service, path=path), timeout=TIMEOUT_S)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body
