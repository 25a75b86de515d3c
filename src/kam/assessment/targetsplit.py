"""Periods and exact decomposition of assessment targets (考核目标, decision 0025) — pure Python
on ``decimal.Decimal``, no Django.

Periods are text: a year ``2026``, a quarter ``2026-Q1``, a month ``2026-03``.

**Exact parts.** A whole (a tier value with at most 2 decimals) is split by weights (shares in
percent, amounts, or equal weights): every part but the last is ``whole × weight ÷ Σ weights``
truncated to the cent; the last part takes the remainder, so the parts always add up to the whole
exactly (100.00 into 3 equal parts: 33.33, 33.33, 33.34). Truncation keeps every part of a
non-negative whole non-negative.

**Tiers.** 目标, 冲刺 and 挑战 are each split with the same weights. A part's 冲刺 is never below
its 目标 (truncation is monotonic) except, by a cent or so, in the last part when the tiers are very
close; in that case the higher tier is split as the lower tier's parts plus the split of the
difference, which keeps both the order and the exact sum.

**Lower is better** (目标 ≥ 冲刺 ≥ 挑战): the same, mirrored — a part's 冲刺 is never above its 目标;
when the plain split would put it above, the lower tier is split as the higher tier's parts minus
the split of the difference. A part never gives up more than it has: a share of the difference
beyond a part's higher tier is carried to the parts before it (from the last one back), so every
part stays non-negative and the sum stays exact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal, localcontext

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

YEAR = "year"
QUARTER = "quarter"
MONTH = "month"

_YEAR = re.compile(r"^\d{4}$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def period_kind(period: str) -> str | None:
    """``year`` / ``quarter`` / ``month``, or ``None`` when ``period`` is none of them."""
    text = str(period or "")
    if _YEAR.match(text):
        return YEAR
    if _QUARTER.match(text):
        return QUARTER
    if _MONTH.match(text):
        return MONTH
    return None


def normalise_period(period: str) -> str:
    """Accept ``2026q1`` / ``2026-q1`` for quarters; everything else is returned stripped."""
    text = str(period or "").strip()
    m = re.match(r"^(\d{4})-?[Qq]([1-4])$", text)
    return f"{m.group(1)}-Q{m.group(2)}" if m else text


def quarters_of(year: str) -> list[str]:
    return [f"{year}-Q{q}" for q in range(1, 5)]


def months_of(period: str) -> list[str]:
    """The months a period covers, in order."""
    kind = period_kind(period)
    if kind == MONTH:
        return [period]
    if kind == QUARTER:
        year, q = period[:4], int(period[-1])
        return [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
    if kind == YEAR:
        return [f"{period}-{m:02d}" for m in range(1, 13)]
    return []


def time_parts(period: str, split: str) -> list[str]:
    """The periods a target of ``period`` decomposes into: a year into ``quarters`` or
    ``months``, a quarter into ``months``; ``[]`` when the split does not apply."""
    kind = period_kind(period)
    if split == "quarters" and kind == YEAR:
        return quarters_of(period)
    if split == "months" and kind in (YEAR, QUARTER):
        return months_of(period)
    return []


def split_exact(whole: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``whole`` by ``weights`` into cents: every part but the last truncated, the last the
    remainder (the parts add up to ``whole`` exactly). Zero weights in total split equally."""
    if not weights:
        return []
    weights = [Decimal(w) for w in weights]
    total = sum(weights, Decimal(0))
    if total <= 0:
        weights, total = [Decimal(1)] * len(weights), Decimal(len(weights))
    parts: list[Decimal] = []
    with localcontext() as ctx:
        ctx.prec = 60
        for w in weights[:-1]:
            parts.append((whole * w / total).quantize(CENT, rounding=ROUND_DOWN))
    parts.append(whole - sum(parts, Decimal(0)))
    return parts


def split_below(whole: Decimal, upper: Sequence[Decimal], weights: Sequence[Decimal]) -> list[Decimal]:
    """The parts of a tier ``whole`` that lies below the tier split into ``upper`` (lower is
    better): ``upper`` minus the split of the difference, each part between 0 and its ``upper``
    part, adding up to ``whole`` exactly."""
    difference = split_exact(sum(upper, Decimal(0)) - whole, weights)
    carry = Decimal(0)
    for i in range(len(difference) - 1, -1, -1):  # a part gives up at most what it has
        if difference[i] > upper[i]:
            carry += difference[i] - upper[i]
            difference[i] = upper[i]
    for i in range(len(difference) - 1, -1, -1):  # the excess goes to the parts that have room
        if carry <= 0:
            break
        room = min(upper[i] - difference[i], carry)
        difference[i] += room
        carry -= room
    return [u - d for u, d in zip(upper, difference, strict=True)]


def split_tiers(tiers: Sequence[Decimal | None], weights: Sequence[Decimal],
                lower_is_better: bool = False) -> list[tuple[Decimal | None, ...]]:
    """Split each tier (目标, 冲刺, 挑战; ``None`` for an absent tier) with the same weights; one
    tuple of tiers per part, each tier's parts adding up exactly, each part's tiers in order
    (目标 ≤ 冲刺 ≤ 挑战, or 目标 ≥ 冲刺 ≥ 挑战 when ``lower_is_better``)."""
    columns: list[list[Decimal | None]] = []
    previous: list[Decimal] | None = None  # the parts of the tier before (they add up to its whole)
    for whole in tiers:
        if whole is None:
            columns.append([None] * len(weights))
            continue
        parts = split_exact(whole, weights)
        if previous is not None:
            if lower_is_better and any(p > q for p, q in zip(parts, previous, strict=True)):
                parts = split_below(whole, previous, weights)
            elif not lower_is_better and any(p < q for p, q in zip(parts, previous, strict=True)):
                increments = split_exact(whole - sum(previous, Decimal(0)), weights)
                parts = [q + inc for q, inc in zip(previous, increments, strict=True)]
        columns.append(list(parts))
        previous = parts
    return [tuple(col[i] for col in columns) for i in range(len(weights))]
