"""A plain-text chart of reminders sent and opened per day and kind, for an 80-column terminal
without colour (it must read the same through `| cat` and in a log)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ops.kind_counters import Opens, rate_text

DAYS = 14
WIDTH = 80
SENT, OPENED = "░", "█"
LEGEND = f"{OPENED} opened, {SENT} sent but not opened; then the number sent and the open rate"
_DAY = len("2026-12-01")
_RATE = len("100.0%")
# Beyond four kinds the bars stop shrinking and a line grows past `width` rather than lose its bars.
_MIN_BAR = 4


def bar_length(value: int, top: int, width: int) -> int:
    """`value` scaled so `top` fills `width`; a count above zero always shows."""
    if value <= 0 or top <= 0:
        return 0
    return min(width, max(1, round(value * width / top)))


def bar(opens: Opens, top: int, width: int) -> str:
    sent = bar_length(opens.sent, top, width)
    opened = min(bar_length(opens.opened, top, width), sent)
    return (OPENED * opened + SENT * (sent - opened)).ljust(width)


def chart_lines(days: Sequence[tuple[str, Mapping[str, Opens]]], width: int = WIDTH) -> list[str]:
    """A header naming the kinds, then one line per day: per kind a bar of sent with its opened
    part, the number sent and the open rate, every bar on the scale of the largest day's sends."""
    kinds = list(dict.fromkeys(kind for _, by_kind in days for kind in by_kind))
    top = max((opens.sent for _, by_kind in days for opens in by_kind.values()), default=0)
    digits = len(str(top))
    numbers = 1 + digits + 1 + _RATE
    bar_width = max(_MIN_BAR, (width - _DAY) // max(1, len(kinds)) - len("  ") - numbers)
    label = bar_width + numbers
    header = " " * _DAY + "".join(f"  {kind[:label]:<{label}}" for kind in kinds)
    lines = [header.rstrip()]
    for day, by_kind in days:
        parts = []
        for kind in kinds:
            opens = by_kind.get(kind, Opens())
            parts.append(f"  {bar(opens, top, bar_width)} {opens.sent:>{digits}} {rate_text(opens.rate):>{_RATE}}")
        lines.append(day + "".join(parts))
    return lines
