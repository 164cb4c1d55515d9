"""The operator CLI against the local test stack: each command's output and the data behind it."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from firebase_admin import auth as fb_auth
from typer.testing import CliRunner

from functions.reminders.batch import DueUser
from functions.reminders.tick import spread
from functions.stripe_webhook import customers
from lib import firebase, stripe_api
from lib import firestore as db
from lib.config import settings
from ops import seeding
from ops.main import app
from tests.conftest import AppUser, GatewayClient
from tests.support import ops as ops_support
from tests.support import reminders as reminders_support
from tests.support.days import unique_day
from tests.support.documents import checkin_days, device_ids, user_doc
from tests.support.payments import checkout, entitlement, event_record, set_faults, undelivered_checkout
from tests.support.reminders import Fcm, World, send_record, wait_until_settled
from tests.support.waiting import wait_for

fcm = reminders_support.fcm
world = reminders_support.world

backend_logger_restored = ops_support.backend_logger_restored
runner = CliRunner()


def ops(*args: str) -> Result:
    return runner.invoke(app, list(args), catch_exceptions=False)


def ops_json(*args: str) -> Any:
    result = ops(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def stripe_faults(stack: object) -> Any:
    yield set_faults
    set_faults()


def test_seed_creates_users_through_the_real_shapes(stack: object) -> None:
    start = 60_000 + uuid.uuid4().int % 30_000
    result = ops("seed", "--users", "3", "--start", str(start))
    assert result.exit_code == 0, result.output
    assert "seeded 3 users" in result.stdout
    for index in range(start, start + 3):
        planned = seeding.demo_user(index)
        assert fb_auth.get_user(planned.uid, app=firebase.app()).email == planned.email
        doc = user_doc(planned.uid)
        assert doc["timezone"] == planned.timezone
        assert doc["reminder"] == {
            "enabled": planned.reminder_on,
            "local_time": planned.local_time,
            "timezone": planned.timezone,
            "at_risk_time": "20:00",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        }
        assert ("next_at" in doc) == planned.reminder_on
        assert device_ids(planned.uid) == sorted(d.installation_id for d in planned.devices)
        assert set(doc["devices"]) == {d.installation_id for d in planned.devices}
        days = checkin_days(planned.uid)
        assert doc["streak"]["current"] <= len(days)
        assert doc["streak"]["longest"] >= doc["streak"]["current"]
        if days:
            assert doc["streak"]["last_day"] == days[-1]


def seeded_state(uid: str) -> tuple[Any, ...]:
    doc = user_doc(uid)
    return checkin_days(uid), doc["streak"], device_ids(uid), doc["reminder"], doc["timezone"], sorted(doc["devices"])


def test_seed_twice_changes_no_user_history_or_devices(stack: object) -> None:
    start = 60_000 + uuid.uuid4().int % 30_000
    uids = [seeding.demo_user(i).uid for i in range(start, start + 2)]
    assert ops("seed", "--users", "2", "--start", str(start)).exit_code == 0
    first = {
        uid: (checkin_days(uid), user_doc(uid)["streak"], device_ids(uid), user_doc(uid)["reminder"]) for uid in uids
    }
    again = ops("seed", "--users", "2", "--start", str(start))
    assert again.exit_code == 0, again.output
    second = {
        uid: (checkin_days(uid), user_doc(uid)["streak"], device_ids(uid), user_doc(uid)["reminder"]) for uid in uids
    }
    assert second == first


def test_reminders_tick_at_a_chosen_instant_enqueues_the_due_users(stack: object, fcm: Fcm, world: World) -> None:
    due = [DueUser(uid=u.uid, local_date=world.day) for u in world.add(3)]
    result = ops("reminders", "tick", "--now", world.tick_at.isoformat())
    assert result.exit_code == 0, result.output
    batches = len(spread(due, settings().reminders_spread_s, settings().reminders_batch_size))
    assert f"due 3, batches enqueued {batches}," in result.stdout
    wait_until_settled(world.day, 3)
    for user in world.users:
        assert (send_record(user.uid, world.day) or {}).get("status") == "sent"
        assert next_at_of(user.uid) > world.tick_at


def next_at_of(uid: str) -> datetime:
    value = user_doc(uid)["next_at"]
    assert isinstance(value, datetime)
    return value


def test_stats_reports_the_days_reminder_counters(stack: object, fcm: Fcm, world: World) -> None:
    world.add(2)
    world.add(1, checked_in=True)
    assert ops("reminders", "tick", "--now", world.tick_at.isoformat()).exit_code == 0
    stored = wait_until_settled(world.day, 3)
    rows = ops_json("stats", "--date", world.day.isoformat(), "--days", "2")
    assert [row["day"] for row in rows] == [(world.day - timedelta(days=1)).isoformat(), world.day.isoformat()]
    today = rows[1]["reminders"]
    assert (today["due"], today["sent"], today["skipped"]) == (3, 2, 1)
    assert today["sent"] == stored["sent"]
    assert rows[0]["reminders"]["due"] == 0
    table = ops("stats", "--date", world.day.isoformat(), "--days", "1")
    assert table.exit_code == 0
    assert world.day.isoformat() in table.stdout


def seed_daily(day: date, fields: dict[str, Any]) -> None:
    """A day's counters as the delivery code writes them: merged into ops_daily/{day}, nested maps included."""
    db.client().collection("ops_daily").document(day.isoformat()).set({"day": day.isoformat(), **fields}, merge=True)


def table_rows(output: str, title: str) -> list[list[str]]:
    """The cells of each body row of the rich table under `title`."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows = []
    for line in lines[start + 4 :]:
        if not line.startswith("│"):
            break
        rows.append([cell.strip() for cell in line.strip("│").split("│")])
    return rows


def test_stats_shows_sent_opened_and_open_rate_per_kind_and_variant_and_a_14_day_chart(stack: object) -> None:
    last = unique_day()
    seed_daily(
        last,
        {
            "due": 10,
            "sent": 7,
            "opened": 3,
            "skipped_done": 1,
            "skipped_cap": 1,
            "skipped_not_at_risk": 1,
            "kinds": {
                "daily_reminder": {"due": 7, "sent": 5, "skipped_done": 1, "skipped_cap": 1},
                "streak_at_risk": {"due": 3, "sent": 2, "skipped_not_at_risk": 1},
            },
        },
    )
    seed_daily(
        last,
        {
            "variants": {
                "daily_reminder": {"a": {"sent": 4, "opened": 2}, "b": {"sent": 1, "opened": 0}},
                "streak_at_risk": {"a": {"sent": 1, "opened": 1}, "c": {"sent": 1, "opened": 0}, "d": "bad"},
            }
        },
    )
    seed_daily(last - timedelta(days=1), {"due": 2, "sent": 2})
    seed_daily(last - timedelta(days=10), {"variants": {"daily_reminder": {"a": {"sent": 8, "opened": 2}}}})

    days = ops_json("stats", "--date", last.isoformat(), "--days", "3")
    assert [row["day"] for row in days] == [(last - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert days[0]["variants"]["daily_reminder"]["a"] == {"sent": 0, "opened": 0, "open_rate": None}
    assert days[1]["reminders"]["sent"] == 2
    assert days[1]["kinds"]["daily_reminder"]["sent"] == 0
    today = days[2]
    assert (today["reminders"]["skipped"], today["reminders"]["opened"]) == (3, 3)
    assert today["kinds"]["daily_reminder"]["skipped"] == 2
    assert today["kinds"]["streak_at_risk"]["skipped_not_at_risk"] == 1
    assert today["variants"]["daily_reminder"]["a"] == {"sent": 4, "opened": 2, "open_rate": 0.5}
    assert today["variants"]["streak_at_risk"] == {
        "a": {"sent": 1, "opened": 1, "open_rate": 1.0},
        "b": {"sent": 0, "opened": 0, "open_rate": None},
        "c": {"sent": 1, "opened": 0, "open_rate": 0.0},
    }

    shown = ops("stats", "--date", last.isoformat(), "--days", "3")
    assert shown.exit_code == 0, shown.output
    assert table_rows(shown.stdout, "Reminders per UTC day")[2] == [
        last.isoformat(),
        "10",
        "7",
        "3",
        "3",
        "0",
        "0",
        "0",
    ]
    variants = table_rows(shown.stdout, "Reminders per kind and variant")
    # 3 days, 3 kinds of 2 variants each, and the unknown variant `c` of the last day.
    assert len(variants) == 3 * 3 * 2 + 1
    assert [last.isoformat(), "daily_reminder", "a", "4", "2", "50.0%"] in variants
    assert [last.isoformat(), "streak_at_risk", "c", "1", "0", "0.0%"] in variants
    assert [last.isoformat(), "daily_reminder", "b", "1", "0", "0.0%"] in variants
    assert [(last - timedelta(days=2)).isoformat(), "streak_at_risk", "b", "0", "0", "—"] in variants

    lines = shown.stdout.splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("Sent and opened per kind"))
    assert lines[title + 2].split() == ["daily_reminder", "streak_at_risk", "payment_failed"]
    chart = lines[title + 3 :]
    assert [line[:10] for line in chart] == [(last - timedelta(days=n)).isoformat() for n in range(13, -1, -1)]
    top_bar, *top_numbers = chart[3].split()[1:4]
    assert top_numbers == ["8", "25.0%"]
    assert top_bar.count("█") * 4 == len(top_bar)
    cells = chart[-1].split()
    # No payment_failed was sent that day: an empty bar, then 0 and no rate.
    assert (cells[2:4], cells[5:]) == (["5", "40.0%"], ["2", "50.0%", "0", "—"])
    assert len(cells[1]) == round(len(top_bar) * 5 / 8)
    assert cells[1].count("█") == round(len(top_bar) * 2 / 8)
    assert all(len(line) <= 80 for line in chart)


def test_user_show_reports_every_concern_with_tokens_masked(gateway: GatewayClient, user: AppUser) -> None:
    token = f"legacy-token-{uuid.uuid4().hex}"
    reminder = {"enabled": True, "local_time": "07:30", "timezone": "Asia/Kolkata"}
    assert gateway.put("/v1/reminder", json=reminder, headers=user.headers).status_code == 200
    device = gateway.put("/v1/devices/fid-show-1", json={"platform": "android", "token": token}, headers=user.headers)
    assert device.status_code == 200, device.text
    assert gateway.post("/v1/checkins", json={}, headers=user.headers).status_code == 200
    completed = checkout(gateway, user)
    wait_for(lambda: (entitlement(user.uid) or {}).get("status") == "active", "the entitlement")
    shown = ops_json("user", "show", user.uid)
    assert shown["reminder"] == reminder | {"at_risk_time": "20:00", "quiet_start": "22:00", "quiet_end": "07:00"}
    assert shown["next_at"] is not None
    assert shown["streak"]["current"] == 1
    assert [d["installation_id"] for d in shown["devices"]] == ["fid-show-1"]
    assert shown["devices"][0]["addressed_by"] == "token"
    assert shown["entitlement"]["plan"] == "premium"
    assert shown["entitlement"]["customer_id"] == customers.customer_of(user.uid)
    assert (shown["entitlement"]["source"], shown["entitlement"]["synced_at"] is not None) == ("stripe", True)
    listed = {e["id"]: e["record"] for e in shown["stripe_events"]}
    assert set(completed["events"]) <= set(listed)
    assert all(listed[event_id] == "completed" for event_id in completed["events"])

    table = ops("user", "show", user.uid)
    assert table.exit_code == 0
    assert user.uid in table.stdout
    assert token not in table.stdout
    assert token not in json.dumps(shown)
    assert f"{token[:6]}…{token[-4:]}" in table.stdout


def test_user_show_lists_the_users_send_records(stack: object, fcm: Fcm, world: World) -> None:
    world.add(1)
    assert ops("reminders", "tick", "--now", world.tick_at.isoformat()).exit_code == 0
    wait_until_settled(world.day, 1)
    shown = ops_json("user", "show", world.users[0].uid, "--no-stripe", "--sends-since", world.day.isoformat())
    assert [(s["local_date"], s["status"]) for s in shown["sends"]] == [(world.day.isoformat(), "sent")]


def test_user_show_of_an_unknown_uid_is_one_line_and_exit_3(stack: object) -> None:
    result = ops("user", "show", f"nobody-{uuid.uuid4().hex}")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("error: no user")
    assert len(result.stderr.strip().splitlines()) == 1


def test_webhooks_replay_applies_a_lost_event_and_reports_the_change(
    gateway: GatewayClient, user: AppUser, stripe_faults: Any
) -> None:
    completed = undelivered_checkout(gateway, user)
    assert entitlement(user.uid) is None
    first = completed["events"][0]
    replayed = ops_json("webhooks", "replay", first)
    assert replayed[0]["outcome"] == "applied"
    assert replayed[0]["uid"] == user.uid
    assert replayed[0]["changes"]["plan"] == [None, "premium"]
    assert (entitlement(user.uid) or {}).get("status") == "active"
    record = event_record(first) or {}
    assert (record.get("status"), record.get("applied")) == ("completed", 1)


def test_webhooks_replay_of_a_done_event_is_a_duplicate_that_changes_nothing(
    gateway: GatewayClient, user: AppUser
) -> None:
    completed = checkout(gateway, user)
    event_id = completed["events"][0]
    wait_for(lambda: (event_record(event_id) or {}).get("status") == "completed", "the delivery")
    replayed = ops_json("webhooks", "replay", event_id)
    assert (replayed[0]["outcome"], replayed[0]["changes"]) == ("duplicate", {})
    assert (event_record(event_id) or {}).get("applied") == 1


def test_webhooks_replay_with_force_rereads_stripe_for_a_done_event(
    gateway: GatewayClient, user: AppUser, stripe_faults: Any
) -> None:
    completed = checkout(gateway, user)
    event_id = completed["events"][0]
    wait_for(lambda: (event_record(event_id) or {}).get("status") == "completed", "the delivery")
    wait_for(lambda: (entitlement(user.uid) or {}).get("status") == "active", "the entitlement")
    stripe_faults(drop_rate=1.0)  # the cancellation's own webhooks are lost
    stripe_api.client().v1.subscriptions.cancel((entitlement(user.uid) or {})["subscription_id"])
    replayed = ops_json("webhooks", "replay", event_id, "--force")
    assert replayed[0]["outcome"] == "applied"
    assert replayed[0]["changes"]["status"] == ["active", "canceled"]
    stored = entitlement(user.uid) or {}
    assert (stored.get("plan"), stored.get("status")) == ("free", "canceled")


def test_webhooks_replay_of_an_unknown_event_is_exit_3(stack: object) -> None:
    result = ops("webhooks", "replay", f"evt_{uuid.uuid4().hex}")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: Stripe has no such object")


def test_webhooks_replay_of_many_reports_each_and_exits_6_when_one_is_missing(
    gateway: GatewayClient, user: AppUser, stripe_faults: Any
) -> None:
    completed = undelivered_checkout(gateway, user)
    missing = f"evt_{uuid.uuid4().hex}"
    result = ops("webhooks", "replay", *completed["events"], missing, "--json")
    assert result.exit_code == 6
    replayed = {r["event_id"]: r for r in json.loads(result.stdout)}
    assert replayed[missing]["outcome"] == "not fetched"
    assert all(replayed[e]["error"] is None for e in completed["events"])
    assert all((event_record(e) or {}).get("status") == "completed" for e in completed["events"])
    assert missing in result.stderr


def test_billing_reconcile_heals_dropped_events_and_the_second_run_finds_them_done(
    gateway: GatewayClient, user: AppUser, stripe_faults: Any
) -> None:
    completed = undelivered_checkout(gateway, user)
    report = ops_json("billing", "reconcile", "--since", "10m")
    assert report["replayed"] >= len(completed["events"])
    mine = [c for c in report["changed"] if c["uid"] == user.uid]
    assert [c["changes"]["plan"] for c in mine] == [[None, "premium"]]
    assert (entitlement(user.uid) or {}).get("status") == "active"
    assert all((event_record(e) or {}).get("applied") == 1 for e in completed["events"])
    again = ops("billing", "reconcile", "--since", "10m")
    assert again.exit_code == 0, again.output
    assert " 0 replayed" in again.stdout
    assert user.uid not in again.stdout


def test_stats_counts_webhook_outcomes_of_the_day(gateway: GatewayClient, user: AppUser, stripe_faults: Any) -> None:
    today = datetime.now(UTC).date().isoformat()

    def webhooks() -> dict[str, int]:
        return dict(ops_json("stats", "--days", "1")[0]["webhooks"])

    before = webhooks()
    completed = undelivered_checkout(gateway, user)
    event_id = completed["events"][0]
    ops_json("webhooks", "replay", event_id)
    ops_json("webhooks", "replay", event_id)
    after = webhooks()
    assert after["processed"] - before["processed"] >= 1
    assert after["duplicate"] - before["duplicate"] >= 1
    assert ops_json("stats", "--days", "1")[0]["day"] == today


def test_json_on_stdout_stays_parseable_while_the_backend_logs(gateway: GatewayClient, user: AppUser) -> None:
    completed = checkout(gateway, user)
    event_id = completed["events"][0]
    wait_for(lambda: (event_record(event_id) or {}).get("status") == "completed", "the delivery")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "ops", "-v", "webhooks", "replay", event_id, "--json"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["outcome"] == "duplicate"
    assert '"message": "stripe event"' in done.stderr
