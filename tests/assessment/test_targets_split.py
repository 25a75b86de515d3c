"""Exact decomposition of targets (REQUIREMENTS §7 "beyond the seeds": targets decomposed year →
quarter → month and company → branch → team → manager, with 目标/冲刺/挑战 tiers) — the pure part."""

from __future__ import annotations

from decimal import Decimal as D

from kam.assessment import targetsplit as ts


def test_periods_years_quarters_months():
    assert [ts.period_kind(p) for p in ("2026", "2026-Q4", "2026-03", "2026-13", "2026-Q5", "26")] == [
        "year", "quarter", "month", None, None, None]
    assert ts.normalise_period("2026q2") == "2026-Q2"
    assert ts.months_of("2026-Q2") == ["2026-04", "2026-05", "2026-06"]
    assert ts.months_of("2026") == [f"2026-{m:02d}" for m in range(1, 13)]
    assert ts.time_parts("2026", "quarters") == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert ts.time_parts("2026-Q3", "months") == ["2026-07", "2026-08", "2026-09"]
    assert ts.time_parts("2026-Q3", "quarters") == [] and ts.time_parts("2026-03", "months") == []


def test_equal_parts_truncate_and_the_last_takes_the_remainder():
    assert ts.split_exact(D("100.00"), [D(1)] * 3) == [D("33.33"), D("33.33"), D("33.34")]
    assert ts.split_exact(D("200"), [D(1)] * 3) == [D("66.66"), D("66.66"), D("66.68")]
    parts = ts.split_exact(D("1000000.01"), [D(1)] * 12)
    assert sum(parts) == D("1000000.01") and all(p >= 0 for p in parts)


def test_shares_and_amounts_keep_the_exact_sum():
    assert ts.split_exact(D("1000"), [D("12.5"), D("37.5"), D(50)]) == [D("125.00"), D("375.00"), D(500)]
    assert ts.split_exact(D("0.01"), [D(50), D(50), D(0)]) == [D("0.00"), D("0.00"), D("0.01")]
    assert ts.split_exact(D("90"), [D("30"), D("20"), D("40")]) == [D("30.00"), D("20.00"), D("40.00")]


def test_every_tier_split_the_same_way_and_kept_in_order():
    rows = ts.split_tiers((D(100), D(120), None), [D(1)] * 3)
    assert rows == [(D("33.33"), D("40.00"), None), (D("33.33"), D("40.00"), None), (D("33.34"), D("40.00"), None)]
    # Tiers a cent apart: the plain split would put the last 冲刺 below its 目标; the parts stay ordered
    # and still add up exactly.
    for target, sprint in ((D("0.98"), D("0.99")), (D("10.01"), D("10.02")), (D("1"), D("1.01"))):
        for weights in ([D(1)] * 3, [D(1)] * 7, [D("33.33"), D("33.33"), D("33.34")]):
            rows = ts.split_tiers((target, sprint, sprint), weights)
            assert sum(r[0] for r in rows) == target and sum(r[1] for r in rows) == sprint
            assert all(r[0] <= r[1] <= r[2] for r in rows), (target, sprint, weights, rows)
