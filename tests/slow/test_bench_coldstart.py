"""A small run of bench.coldstart against the test stack: one entry point answers, its SDKs are
seen, its floor and the Firestore floor are measured, and the last line has the run's figures."""

from __future__ import annotations

import re

import pytest

from bench import coldstart

LAST_LINE = re.compile(
    r"^coldstart functions=1 median_ratio=[\d.]+ worst_function=auth_hooks-me worst_ms=\d+ "
    r"monolith_ms=\d+ worst_ratio=[\d.]+$"
)


def test_one_entry_point_is_measured_with_its_floors(stack: object, capsys: pytest.CaptureFixture[str]) -> None:
    (result,) = coldstart.main(["--runs", "1", "--floor-runs", "1", "--only", "auth_hooks-me", "--running-stack"])
    assert {"google.cloud.firestore", "firebase_admin.auth", "functions_framework"} <= result.sdks
    assert {"stripe", "google.cloud.tasks_v2", "firebase_functions.identity_fn"}.isdisjoint(result.sdks)
    lines = capsys.readouterr().out.strip().splitlines()
    assert LAST_LINE.match(lines[-1])
    assert any(line.startswith("floor:firestore-floor ") for line in lines)
    assert any(line.startswith("floor:auth_hooks-me ") for line in lines)
    assert re.match(r"^\(wall time, floors\) median_ratio>=[\d.]+ worst_ratio>=[\d.]+ \(auth_hooks-me\)", lines[-3])
