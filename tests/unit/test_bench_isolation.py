"""bench.isolation's pure parts: steady streams of calls, percentiles, ratios, memory peaks and
the result line."""

from __future__ import annotations

import itertools
import threading

from bench.isolation import Calls, MemoryPeak, Probe, Result, p99_ratio, side_by_side, steady
from devstack.memory import Memory


def test_steady_times_answered_calls_and_counts_the_others_as_errors() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def probe(index: int) -> bool:
        with lock:
            seen.append(index)
        return index % 3 != 0

    submitted = itertools.count()
    calls = steady(probe, rate=200.0, done=lambda: next(submitted) >= 9)
    assert sorted(seen) == list(range(9))
    assert calls.errors == 3
    assert len(calls.latencies_ms) == 6


def test_side_by_side_gives_each_probe_its_own_stream() -> None:
    seen: dict[str, list[int]] = {"user": [], "floor": []}
    lock = threading.Lock()

    def probe(name: str, answer: bool) -> Probe:
        def call(index: int) -> bool:
            with lock:
                seen[name].append(index)
            return answer

        return call

    results = side_by_side(
        {"user": probe("user", True), "floor": probe("floor", False)},
        rate=200.0,
        done=lambda: min(len(indexes) for indexes in seen.values()) >= 3,
    )
    for name in seen:
        assert sorted(seen[name]) == list(range(len(seen[name]))), name
        assert len(seen[name]) >= 3
    assert results["user"].errors == 0
    assert len(results["user"].latencies_ms) == len(seen["user"])
    assert results["floor"].errors == len(seen["floor"])
    assert not results["floor"].latencies_ms


def test_the_99th_percentile_of_a_hundred_calls_lies_between_the_two_largest() -> None:
    calls = Calls(latencies_ms=[float(ms) for ms in range(1, 101)])
    assert calls.percentile_ms(0.5) == 50.5
    assert 99.0 <= calls.percentile_ms(0.99) < 100.0


def test_a_ratio_over_an_idle_phase_without_calls_is_finite() -> None:
    assert p99_ratio(Calls(latencies_ms=[5.0]), Calls()) == 5000.0


def test_the_memory_peak_keeps_the_sample_of_largest_pss_and_the_largest_rss() -> None:
    peak = MemoryPeak()
    peak.add({"a": Memory(rss_bytes=200, pss_bytes=100), "b": Memory(rss_bytes=100, pss_bytes=100)})
    peak.add({"a": Memory(rss_bytes=150, pss_bytes=150), "b": Memory(rss_bytes=100, pss_bytes=70)})
    peak.add({"a": Memory(rss_bytes=100, pss_bytes=90), "b": Memory(rss_bytes=100, pss_bytes=90)})
    assert (peak.pss_bytes, peak.rss_bytes) == (220, 300)
    assert peak.pieces == {"a": Memory(rss_bytes=150, pss_bytes=150), "b": Memory(rss_bytes=100, pss_bytes=70)}


def test_the_peak_lists_its_pieces_largest_first_in_mib() -> None:
    mib = 2**20
    peak = MemoryPeak()
    peak.add({"gateway": Memory(rss_bytes=60 * mib, pss_bytes=37 * mib), "auth": Memory(400 * mib, 348 * mib)})
    assert peak.largest() == "auth 348, gateway 37"


def test_the_result_line_sets_the_floor_ratio_beside_the_users() -> None:
    mib = 2**20
    result = Result(
        idle=Calls(latencies_ms=[10.0, 20.0], errors=1),
        busy=Calls(latencies_ms=[30.0, 40.0], errors=2),
        floor_idle=Calls(latencies_ms=[2.0, 4.0]),
        floor_busy=Calls(latencies_ms=[4.0, 6.0], errors=1),
        memory=MemoryPeak(pss_bytes=1500 * mib, rss_bytes=2600 * mib),
        topology="units",
    )
    idle_p99, busy_p99 = result.idle.percentile_ms(0.99), result.busy.percentile_ms(0.99)
    floor_idle_p99, floor_busy_p99 = result.floor_idle.percentile_ms(0.99), result.floor_busy.percentile_ms(0.99)
    assert result.line() == (
        f"isolation idle_p99_ms={idle_p99:.0f} busy_p99_ms={busy_p99:.0f} ratio={busy_p99 / idle_p99:.2f} "
        f"errors=3 topology=units floor_idle_p99_ms={floor_idle_p99:.0f} floor_busy_p99_ms={floor_busy_p99:.0f} "
        f"floor_ratio={floor_busy_p99 / floor_idle_p99:.2f} floor_errors=1 pss_mib=1500 rss_mib=2600"
    )
