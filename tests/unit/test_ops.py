"""The operator CLI without a stack, in this process: help everywhere, bad input as one line
with its exit code, and the pure pieces (tests/component/test_ops_process.py runs it as a process)."""

from __future__ import annotations

import importlib
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
import pytest
import stripe
import typer
from typer.testing import CliRunner

from lib import errors
from ops import arguments, daily_stats, replay, seeding
from ops.failures import BadInput, ExitCode, classify
from ops.main import app
from ops.user_report import masked
from tests.support import ops as ops_support

ROOT = Path(__file__).resolve().parents[2]
backend_logger_restored = ops_support.backend_logger_restored
runner = CliRunner()


def command_paths(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += command_paths(sub, (*path, name))
    return found


ALL_COMMANDS = command_paths(typer.main.get_command(app))


def test_the_cli_has_every_operator_command() -> None:
    wanted = {("seed",), ("stats",), ("user", "show"), ("reminders", "tick"), ("webhooks", "replay")}
    assert wanted | {("billing", "reconcile")} <= set(ALL_COMMANDS)


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(p) or "wellness-ops")
def test_every_command_answers_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["stats", "--date", "2026-02-30"], "--date: '2026-02-30' is not a date"),
        (["stats", "--days", "0"], "--days: 0 must be from 1 to 366"),
        (["stats", "--days", "367"], "--days: 367 must be from 1 to 366"),
        (["reminders", "tick", "--now", "tomorrow"], "--now: 'tomorrow' is not an ISO 8601 time"),
        (["billing", "reconcile", "--since", "3 weeks"], "--since: '3 weeks' is neither a window"),
        (["user", "show", "u1", "--events-since", "x"], "--events-since: 'x' is neither a window"),
        (["user", "show", "users/u1"], "UID: 'users/u1' is not a uid"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_windows_and_iso_times_both_give_since() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert arguments.parse_since("72h", now) == now - timedelta(hours=72)
    assert arguments.parse_since("30m", now) == now - timedelta(minutes=30)
    assert arguments.parse_since("3d", now) == now - timedelta(days=3)
    assert arguments.parse_since("2026-11-20", now) == datetime(2026, 11, 20, tzinfo=UTC)
    assert arguments.parse_since("2026-11-20T10:00:00+02:00", now) == datetime(2026, 11, 20, 8, tzinfo=UTC)


def test_an_instant_without_offset_is_utc() -> None:
    assert arguments.parse_instant("2026-11-26T18:00", "--now") == datetime(2026, 11, 26, 18, tzinfo=UTC)


def test_days_ending_lists_oldest_first() -> None:
    assert arguments.days_ending(date(2026, 3, 1), 3) == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)]
    with pytest.raises(BadInput):
        arguments.days_ending(date(2026, 3, 1), 0)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.InvalidArgument("x"), ExitCode.BAD_INPUT),
        (errors.NotFound("x"), ExitCode.NOT_FOUND),
        (errors.Conflict("x"), ExitCode.INCOMPLETE),
        (errors.Unavailable("x"), ExitCode.UNREACHABLE),
        (errors.PermissionDenied("x"), ExitCode.REFUSED),
        (stripe.InvalidRequestError("No such event", "id", http_status=404), ExitCode.NOT_FOUND),
        (stripe.APIConnectionError("down"), ExitCode.UNREACHABLE),
        (RuntimeError("boom\nsecond line"), ExitCode.FAILED),
    ],
)
def test_failures_map_to_their_exit_code_and_one_line(error: Exception, code: ExitCode) -> None:
    found, line = classify(error)
    assert found == code
    assert "\n" not in line


def test_a_token_is_masked_to_its_ends() -> None:
    token = "dGhpcy1pcy1hLWxvbmctZmNtLXRva2Vu"
    assert masked(token) == "dGhpcy…a2Vu"
    assert masked("short") == "…"
    assert masked(None) is None


def test_a_days_counters_are_zero_filled_and_skipped_adds_every_skip() -> None:
    stats = daily_stats.stats_of(
        date(2026, 1, 2),
        {"due": 9, "sent": 4, "skipped_done": 2, "skipped_off": 1, "no_device": 1},
        {"duplicate": 3},
    )
    assert stats.skipped == 4
    assert stats.reminders["failed"] == 0
    assert stats.webhooks == {
        "processed": 0,
        "duplicate": 3,
        "busy": 0,
        "failed": 0,
        "orphaned": 0,
        "duplicate_subscription": 0,
    }
    assert stats.as_json()["reminders"]["skipped"] == 4


def test_replay_reports_only_the_watched_fields_that_changed() -> None:
    before = {"plan": "premium", "status": "active", "synced_at": 1}
    after = {"plan": "free", "status": "canceled", "synced_at": 2}
    assert replay.changes_between(before, after) == {"plan": ("premium", "free"), "status": ("active", "canceled")}
    assert replay.changes_between(None, None) == {}


def test_a_demo_user_is_the_same_for_the_same_index() -> None:
    assert seeding.demo_user(7) == seeding.demo_user(7)
    assert seeding.demo_user(7).uid == "seed-00007"
    assert seeding.demo_user(7) != seeding.demo_user(8)


def test_a_demo_history_ends_yesterday_and_its_summary_counts_the_final_run() -> None:
    user = next(u for u in map(seeding.demo_user, range(100)) if u.history_days > 5 and u.skip_rate == 0.0)
    today = date(2026, 11, 26)
    days = seeding.history(user, today)
    assert days[-1] == today - timedelta(days=1)
    assert len(days) == user.history_days
    summary = seeding.summaries_after(days, user.timezone)[-1]
    assert (summary.current, summary.longest, summary.last_day) == (len(days), len(days), days[-1])


def test_the_console_script_names_the_cli_app() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["wellness-ops"].partition(":")
    assert getattr(importlib.import_module(module), name) is app
