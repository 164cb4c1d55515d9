"""Reminder counters per kind and copy variant, read from a day's `kinds` and `variants` maps:
zero where a map or field is missing, malformed entries dropped, unknown but well-formed names kept."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from functions.reminders import counters, kinds
from functions.reminders.kinds import Kind

KINDS = tuple(kind.value for kind in Kind)
VARIANTS = kinds.VARIANTS
KIND_FIELDS = counters.PER_KIND
SKIPPED = tuple(name for name in counters.OUTCOMES if name not in ("sent", "failed"))


def count_of(value: object) -> int:
    """A counter's value; anything but a finite number from zero up (a string, a bool, -3) counts 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value) if math.isfinite(value) and value >= 0 else 0


def skipped_of(counters: Mapping[str, int]) -> int:
    """Due users who got no reminder on purpose: checked in, turned off, already reminded, over
    the daily cap, streak too short for an at-risk nudge, account matter settled, no device."""
    return sum(counters.get(name, 0) for name in SKIPPED)


@dataclass(frozen=True)
class Opens:
    sent: int = 0
    opened: int = 0

    @property
    def rate(self) -> float | None:
        """Opened over sent; None when nothing was sent."""
        return self.opened / self.sent if self.sent else None

    def as_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "opened": self.opened, "open_rate": self.rate}


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def total(opens: Iterable[Opens]) -> Opens:
    counted = list(opens)
    return Opens(sum(o.sent for o in counted), sum(o.opened for o in counted))


def added(*tables: Mapping[str, Mapping[str, Opens]]) -> dict[str, dict[str, Opens]]:
    """The tables (each as `variants_of` gives it) summed per kind and variant."""
    summed: dict[str, dict[str, Opens]] = {}
    for table in tables:
        for kind, by_variant in table.items():
            into = summed.setdefault(kind, {})
            for name, opens in by_variant.items():
                into[name] = total([into.get(name, Opens()), opens])
    return summed


def kinds_of(document: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Every known kind and every well-formed one found, each with every counter."""
    kinds = _maps(document.get("kinds"))
    return {
        kind: {name: count_of(kinds.get(kind, {}).get(name)) for name in KIND_FIELDS} for kind in _kind_names(document)
    }


def variants_of(document: Mapping[str, Any]) -> dict[str, dict[str, Opens]]:
    """Every kind as in `kinds_of`, each with the known variants and every well-formed one found."""
    variants = _maps(document.get("variants"))
    shown: dict[str, dict[str, Opens]] = {}
    for kind in _kind_names(document):
        found = _maps(variants.get(kind))
        shown[kind] = {
            name: Opens(count_of(found.get(name, {}).get("sent")), count_of(found.get(name, {}).get("opened")))
            for name in _names(VARIANTS, found)
        }
    return shown


def _kind_names(document: Mapping[str, Any]) -> list[str]:
    return _names(KINDS, [*_maps(document.get("kinds")), *_maps(document.get("variants"))])


def _maps(value: object) -> dict[str, Mapping[str, Any]]:
    """The entries of a map that are maps themselves under a non-empty name; anything else is malformed."""
    if not isinstance(value, Mapping):
        return {}
    return {
        name: inner for name, inner in value.items() if isinstance(name, str) and name and isinstance(inner, Mapping)
    }


def _names(known: Sequence[str], found: Iterable[str]) -> list[str]:
    """The known names in their order, then the others found, sorted, so a new one shows without a code change."""
    return [*known, *sorted(set(found) - set(known))]
