"""`wellness-ops`: the commands (parse, call the concern's own code, render)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table
from rich.text import Text

from lib import log
from lib.config import Settings, settings
from ops.arguments import checked_uid, days_ending, parse_day, parse_instant, parse_since
from ops.failures import ExitCode, Incomplete, Refused, reported
from ops.reachability import Piece, require

if TYPE_CHECKING:
    from ops import health, replay

HELP = """Operate the wellness backend: seed demo data, read the day's counters, inspect a user, run a reminder tick, replay Stripe events, reconcile billing.

Talks to the local stack by default (`make run`). For a real project set ENVIRONMENT=production, GOOGLE_CLOUD_PROJECT, STRIPE_API_KEY and application default credentials.

Exit codes: 0 ok, 1 unexpected error, 2 bad input, 3 not found, 4 unreachable, 5 refused in this environment, 6 ran but work is left (busy or failed events)."""  # noqa: E501


# Each command imports its own modules (and through them Firestore, Stripe, Cloud Tasks) when it
# runs, so `--help` answers without loading them.
app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
user_app = typer.Typer(help="Look at one user.", no_args_is_help=True)
reminders_app = typer.Typer(help="Reminder delivery.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Stripe webhook events.", no_args_is_help=True)
billing_app = typer.Typer(help="Billing (entitlements from Stripe).", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(reminders_app, name="reminders")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(billing_app, name="billing")

out = Console(highlight=False, soft_wrap=True)
progress_console = Console(stderr=True)


@app.callback()
def main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also print the backend's JSON log lines (INFO and up) on stderr.")
    ] = False,
) -> None:
    """Keeps stdout for the command's own output (tables, --json): the backend code the
    commands run logs one JSON line per event, which goes to stderr, warnings and up unless -v."""
    backend = log.get_logger("ops").parent
    if backend is not None:
        backend.setLevel(logging.INFO if verbose else logging.WARNING)
        for handler in backend.handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(sys.__stderr__)


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of a table.")]


def shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def print_json(data: Any) -> None:
    print(json.dumps(data, default=shown, indent=2, sort_keys=True))


def _config(*pieces: Piece) -> Settings:
    config = settings()
    require(config, *pieces)
    return config


@app.command()
@reported
def seed(
    users: Annotated[int, typer.Option("--users", min=1, max=10_000, help="How many demo users.")] = 20,
    start: Annotated[int, typer.Option("--start", min=0, help="Index of the first user (seed-NNNNN).")] = 0,
) -> None:
    """Create demo users (local stack only): time zones, reminders, devices, check-in histories.

    Safe to run twice: the same indexes give the same users, and existing histories are kept."""
    from ops import seeding

    config = _config(Piece.FIRESTORE, Piece.AUTH)
    if not config.is_local:
        raise Refused("seed writes demo users and runs against the local stack only (ENVIRONMENT=local)")
    now = datetime.now(UTC)
    demo = [seeding.demo_user(index) for index in range(start, start + users)]
    for user in track(demo, description="Seeding users", console=progress_console):
        seeding.seed_user(user, now)
    out.print(f"seeded {len(demo)} users: {demo[0].uid} … {demo[-1].uid} (password {seeding.PASSWORD!r})")


@app.command()
@reported
def stats(
    day: Annotated[str | None, typer.Option("--date", help="Last day shown, YYYY-MM-DD (UTC); default today.")] = None,
    days: Annotated[int, typer.Option("--days", help="How many days up to --date in the tables.")] = 7,
    as_json: JsonOption = False,
) -> None:
    """Reminder counters (due, sent, opened, skipped, pruned, retried, failed) and webhook outcomes per
    day; sent, opened and open rate (opened/sent; an open counts on its message's send day) per reminder
    kind and copy variant; then a chart of the 14 days up to --date, whatever --days is: per kind a bar
    of sent with its opened part solid, the number sent and the open rate.

    --json: the days without the chart, each with `kinds` and `variants` (open_rate a fraction, null if none sent)."""
    from functions.stripe_webhook import daily_counts
    from ops import daily_stats, kind_counters

    last = parse_day(day, "--date") if day else datetime.now(UTC).date()
    wanted = days_ending(last, days)
    _config(Piece.FIRESTORE)
    rows = daily_stats.read_days(wanted)
    if as_json:
        print_json([row.as_json() for row in rows])
        return
    _day_table(
        "Reminders per UTC day",
        ("due", "sent", "opened", "skipped", "pruned", "retried", "failed"),
        [
            (
                r.day,
                *(r.reminders[k] for k in ("due", "sent", "opened")),
                r.skipped,
                *(r.reminders[k] for k in _AFTER_SKIPPED),
            )
            for r in rows
        ],
    )
    _day_table(
        "Reminders per kind and variant",
        ("sent", "opened", "open rate"),
        [
            (r.day, kind, name, opens.sent, opens.opened, kind_counters.rate_text(opens.rate))
            for r in rows
            for kind, by_variant in r.variants.items()
            for name, opens in by_variant.items()
        ],
        labels=("kind", "variant"),
    )
    _day_table(
        "Webhooks per UTC day",
        daily_counts.OUTCOMES,
        [(r.day, *(r.webhooks[k] for k in daily_counts.OUTCOMES)) for r in rows],
    )
    _open_chart(last)


_AFTER_SKIPPED = ("tokens_pruned", "retried", "failed")


def _open_chart(last: date) -> None:
    from ops import daily_stats, open_chart

    out.print(f"Sent and opened per kind, {open_chart.DAYS} days to {last.isoformat()}", markup=False)
    out.print(open_chart.LEGEND, markup=False)
    for line in open_chart.chart_lines(daily_stats.read_opens(days_ending(last, open_chart.DAYS))):
        out.print(line, markup=False)


def _day_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], labels: Sequence[str] = ()
) -> None:
    """A table of counts per day, after the day the `labels` columns (names, left-aligned); cells
    are plain text, so a name found in the data is never read as markup."""
    table = Table(title=title, title_justify="left")
    table.add_column("day", no_wrap=True, min_width=len("YYYY-MM-DD"))
    for label in labels:
        table.add_column(label, no_wrap=True)
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*(Text(str(cell)) for cell in row))
    out.print(table)


@app.command()
@reported
def doctor(
    day: Annotated[
        str | None, typer.Option("--date", help="Day of the send counters, YYYY-MM-DD (UTC); default today.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The backend's health, one ✓ or ✗ row per check: last tick, sends, queue, webhooks, rules, scheduler.

    Exits 7 when any row is ✗, so it can gate a deploy's smoke check."""
    from ops import doctor as checks

    now = datetime.now(UTC)
    counted = parse_day(day, "--date") if day else now.date()
    rows = checks.rows(datetime(counted.year, counted.month, counted.day, tzinfo=UTC), now)
    if as_json:
        print_json([vars(row) for row in rows])
    else:
        _health_table(now, rows)
    if not all(row.ok for row in rows):
        raise typer.Exit(int(ExitCode.UNHEALTHY))


def _health_table(now: datetime, rows: Sequence[health.Row]) -> None:
    table = Table(title=f"Backend health at {shown(now)}", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("reason")
    for row in rows:
        table.add_row("[green]✓[/green]" if row.ok else "[red]✗[/red]", row.check, row.reason)
    out.print(table)


@user_app.command("show")
@reported
def user_show(
    uid: Annotated[str, typer.Argument(help="The user's uid.")],
    events_since: Annotated[
        str, typer.Option("--events-since", help="How far back to list the user's Stripe events (72h, 3d, ISO).")
    ] = "72h",
    sends_since: Annotated[
        str, typer.Option("--sends-since", help="Send records for local dates since (35d, or an ISO date).")
    ] = "35d",
    no_stripe: Annotated[bool, typer.Option("--no-stripe", help="Do not ask Stripe for the user's events.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Profile, streak, reminder and next_at, devices (tokens masked), entitlement, recent sends and Stripe events."""
    from ops import user_report

    wanted_uid = checked_uid(uid)
    now = datetime.now(UTC)
    sends_from = parse_since(sends_since, now, "--sends-since").date()
    since = None if no_stripe else parse_since(events_since, now, "--events-since")
    _config(Piece.FIRESTORE, Piece.AUTH, *(() if no_stripe else (Piece.STRIPE,)))
    report = user_report.report_of(wanted_uid, sends_from, since)
    if as_json:
        print_json(vars(report))
        return
    out.print(f"[bold]user {report.uid}[/bold]")
    _fields("profile", report.profile)
    _fields("streak", report.streak)
    _fields("reminder", {**(report.reminder or {"enabled": None}), "next_at": report.next_at})
    _fields("entitlement", report.entitlement)
    _rows("devices", report.devices)
    _rows("last send records", report.sends)
    if since is not None:
        _rows(f"Stripe events since {shown(since)}", report.stripe_events)


def _fields(title: str, values: dict[str, Any]) -> None:
    out.print(f"[bold]{title}[/bold]")
    for name, value in values.items():
        out.print(f"  {name}: {shown(value)}", markup=False)


def _rows(title: str, rows: Sequence[dict[str, Any]]) -> None:
    """One line per row, never cut to the terminal's width (ids and dates stay whole)."""
    out.print(f"[bold]{title}[/bold]" + ("" if rows else ": none"))
    for row in rows:
        out.print("  " + "  ".join(f"{name}={shown(value)}" for name, value in row.items()), markup=False)


@reminders_app.command("tick")
@reported
def reminders_tick(
    now: Annotated[
        str | None, typer.Option("--now", help="Run as if at this ISO 8601 instant (local stack only).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run one scheduler tick by hand: find the users due and enqueue their batches."""
    from functions.reminders import tick as scheduler_tick

    at = parse_instant(now, "--now") if now else datetime.now(UTC)
    config = _config(Piece.FIRESTORE, Piece.TASKS)
    if now and not config.is_local:
        raise Refused("--now is for the local stack only; a real project ticks at the real time")
    report = scheduler_tick.run_tick(at)
    if as_json:
        print_json({"now": at, "due": report.due, "batches": report.batches, "docs_read": report.docs_read})
        return
    out.print(
        f"tick at {shown(at)}: due {report.due}, batches enqueued {report.batches}, documents read {report.docs_read}"
    )


@webhooks_app.command("replay")
@reported
def webhooks_replay(
    event_ids: Annotated[list[str], typer.Argument(help="One or more Stripe event ids (evt_...).")],
    force: Annotated[
        bool, typer.Option("--force", help="For an event already done, re-read the customer from Stripe anyway.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Fetch events from Stripe and push them through the webhook's idempotent handler; show what changed."""
    _config(Piece.FIRESTORE, Piece.AUTH, Piece.STRIPE)
    results = [_replay_one(event_id, force=force, single=len(event_ids) == 1) for event_id in _tracked(event_ids)]
    if as_json:
        print_json([vars(r) for r in results])
    else:
        table = Table(title="Replayed events", title_justify="left")
        for column in ("event", "type", "uid", "outcome", "changes"):
            table.add_column(column)
        for r in results:
            table.add_row(r.event_id, r.event_type, shown(r.uid), r.outcome, r.error or _changes_text(r))
        out.print(table)
    failed = [r.event_id for r in results if r.failed]
    if failed:
        raise Incomplete(f"{len(failed)} of {len(results)} events not processed: {', '.join(failed)}")


def _changes_text(r: replay.Replay) -> str:
    return ", ".join(f"{k}: {shown(a)} → {shown(b)}" for k, (a, b) in r.changes.items()) or "none"


def _tracked(items: Sequence[str]) -> Iterable[str]:
    return track(items, description="Replaying", console=progress_console) if len(items) > 1 else items


def _replay_one(event_id: str, *, force: bool, single: bool) -> replay.Replay:
    from ops import replay

    try:
        event = replay.fetch_event(event_id)
    except Exception as exc:
        if single:
            raise
        return replay.Replay(event_id=event_id, outcome="not fetched", error=f"{type(exc).__name__}: {exc}")
    return replay.replay_event(event, force=force)


@billing_app.command("reconcile")
@reported
def billing_reconcile(
    since: Annotated[
        str | None, typer.Option("--since", help="Events created since (72h, 3d, ISO); default the reconcile window.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List Stripe's recent events and pass every one not recorded as done through the webhook handler."""
    from functions.stripe_webhook import reconciliation
    from ops import replay

    start = parse_since(since or f"{settings().stripe_reconcile_window_h}h", datetime.now(UTC))
    _config(Piece.FIRESTORE, Piece.AUTH, Piece.STRIPE)
    listed = reconciliation.recent_events(start)
    done = [
        replay.reconcile_event(event) for event in track(listed, description="Reconciling", console=progress_console)
    ]
    report = reconciliation.report_of(step for step, _ in done)
    changed = [r for _, r in done if r.changes]
    if as_json:
        print_json({"since": start, **report.model_dump(), "changed": [vars(r) for r in changed]})
    else:
        out.print(
            f"since {shown(start)}: {report.listed} events listed, {report.replayed} replayed, "
            f"{report.already_done} already done, {report.busy} busy, "
            f"{len(report.duplicate_subscriptions)} users with a second live subscription"
        )
        for uid in report.duplicate_subscriptions:
            out.print(f"  {uid}: more than one live subscription; cancel the extra one in Stripe", markup=False)
        for r in changed:
            out.print(f"  {r.uid}: {_changes_text(r)} (by {r.event_id} {r.event_type})", markup=False)
    if report.busy:
        raise Incomplete(f"{report.busy} events are held by a live delivery; run again shortly")
