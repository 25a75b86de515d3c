"""The scoring kernel of performance assessment (绩效考核) — pure Python, no Django.

Everything here works on ``decimal.Decimal`` and plain tuples/lists so it can be tested and
benchmarked alone. Refusals are returned as :class:`Problem` values (a code, the 1-based
position the user listed the item at, and parameters); the Django layer turns them into
translated messages.

Rules implemented (REQUIREMENTS §7):

- R-ASM-1 score intervals: bounds are integers or have at most 2 decimals; each end is open or
  closed; the intervals cover the declared domain (by default every value, (−∞, +∞)) with no gap
  and no overlap; they are listed ascending or descending; each score is 0–100 with at most 2
  decimals; the first or the last interval (as listed) scores 100.
- R-ASM-2 weights: each in (0, 1] with at most 2 decimals, summing to exactly 1.
- Completion rate with floor and cap (保底/封顶, REQUIREMENTS §7 "Beyond the seeds"): score =
  value ÷ target × 100 (the rate, 6 decimals half-up as in attainment mode) × full score ÷ 100,
  raised to the floor or limited to the cap, rounded half-up to 2 decimals (:func:`rate_score`).
- Deductions (扣分): full score − points per unit × value, never below a minimum
  (:func:`deduction_score`).
- Veto items (一票否决): a template lists atomic indicators with a threshold; when a subject's
  value is at least the threshold (``value ≥ n``, the threshold itself included) the total is the
  veto's total (default 0) whatever the weighted score, bonus points and adjustments
  (:func:`veto_hit`, :func:`final_total`). The first rule hit, as listed, applies. A subject held
  for missing values stays held.
- R-ASM-6 composition: indicator score = Σ atomic score × weight; template score = Σ indicator
  score × weight; total = template score + bonus + adjustment.

The arithmetic is exact: an atomic score has 2 decimals, a weight 2, so an indicator score has at
most 4 decimals and a template score at most 6. Nothing is rounded until display
(:func:`round2`, half-up).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
NEG_INF = Decimal("-Infinity")
POS_INF = Decimal("Infinity")

# Scoring modes of an atomic indicator.
MODE_INTERVAL = "interval"
MODE_ATTAINMENT = "attainment"  # intervals apply to value ÷ target × 100 (a percentage)
MODE_RATE = "rate"  # score = completion rate × full score ÷ 100, held between a floor and a cap (保底/封顶)
MODE_DEDUCTION = "deduction"  # score = full score − points per unit × value, never below a minimum (扣分)

# Limits of the completion-rate-with-floor-and-cap mode (decision 0020).
RATE_FULL_MAX = HUNDRED
RATE_CAP_MAX = Decimal(200)

# Missing-value policies.
MISSING_ZERO = "zero"  # the atomic indicator scores 0
MISSING_BLOCK = "block"  # the subject gets no result until the value is there

# Status of one scored cell.
ST_OK = "ok"
ST_MISSING = "missing"  # no value for the subject and month
ST_NO_TARGET = "no_target"  # attainment mode without a (non-zero) target
ST_OUT_OF_DOMAIN = "out_of_domain"  # the value lies in no interval (outside the declared domain)
ST_FLOOR = "floor"  # rate mode: the score was raised to the floor (保底)
ST_CAP = "cap"  # rate mode: the score was limited to the cap (封顶)
ST_DEDUCTED = "deducted"  # deduction mode: full score minus the points deducted
ST_MINIMUM = "minimum"  # deduction mode: held at the minimum score
# Statuses that hold the subject's result under the "block" policy (floor and cap are scores).
HOLDING_STATUSES = (ST_MISSING, ST_NO_TARGET, ST_OUT_OF_DOMAIN)


@dataclass(frozen=True)
class Problem:
    """One refusal: ``code`` names the rule broken, ``position`` the 1-based listed position of
    the interval or weight concerned (``None`` for the list as a whole), ``params`` the values
    a message needs."""

    code: str
    position: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


# --- numbers ---------------------------------------------------------------------------------


def to_decimal(value: Any) -> Decimal | None:
    """A finite ``Decimal`` from an int, str or Decimal; ``None`` when it is not a number.

    Floats are refused: a bound such as 0.1 must be given exactly (as text or Decimal).
    """
    if isinstance(value, bool) or isinstance(value, float):
        return None
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return d if d.is_finite() else None


def decimals_of(value: Decimal) -> int:
    """How many significant decimals ``value`` has (``Decimal("1.50")`` has 1)."""
    if value == value.to_integral_value():
        return 0
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def has_at_most_2_decimals(value: Decimal) -> bool:
    return decimals_of(value) <= 2


def round2(value: Decimal) -> Decimal:
    """Round half-up to 2 decimals (for display and export)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal | None) -> str:
    """A bound or score as the user wrote it: no exponent, no trailing zeros."""
    if value is None:
        return ""
    if value.is_infinite():
        return "+∞" if value > 0 else "−∞"
    text = format(value.normalize(), "f")
    return text


# --- intervals (R-ASM-1) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """One score interval. ``lower``/``upper`` ``None`` mean −∞ / +∞ (always open)."""

    lower: Decimal | None
    lower_closed: bool
    upper: Decimal | None
    upper_closed: bool
    score: Decimal

    @property
    def lo(self) -> Decimal:
        return NEG_INF if self.lower is None else self.lower

    @property
    def hi(self) -> Decimal:
        return POS_INF if self.upper is None else self.upper

    def contains(self, value: Decimal) -> bool:
        if self.lower is not None and (value < self.lower or (value == self.lower and not self.lower_closed)):
            return False
        if self.upper is not None and (value > self.upper or (value == self.upper and not self.upper_closed)):
            return False
        return True

    def text(self) -> str:
        """Mathematical notation, e.g. ``(50000, 60000]`` or ``[100000, +∞)``."""
        left = "[" if self.lower is not None and self.lower_closed else "("
        right = "]" if self.upper is not None and self.upper_closed else ")"
        lower = "−∞" if self.lower is None else fmt(self.lower)
        upper = "+∞" if self.upper is None else fmt(self.upper)
        return f"{left}{lower}, {upper}{right}"

    def _lower_key(self) -> tuple[Decimal, int]:
        # A closed lower end starts "before" an open one at the same value.
        return (self.lo, 0 if (self.lower is not None and self.lower_closed) else 1)


UNBOUNDED = Interval(None, False, None, False, ZERO)


def make_interval(lower: Any, lower_closed: bool, upper: Any, upper_closed: bool, score: Any) -> Interval:
    """An :class:`Interval` from loose input (``None``/``""`` bound = infinite). Values that are
    not numbers are kept out: call :func:`validate_intervals_raw` to get problems for them."""
    lo = None if lower in (None, "") else to_decimal(lower)
    hi = None if upper in (None, "") else to_decimal(upper)
    sc = to_decimal(score)
    return Interval(lo, bool(lower_closed) and lo is not None, hi, bool(upper_closed) and hi is not None,
                    sc if sc is not None else ZERO)


def validate_intervals_raw(rows: Sequence[dict[str, Any]],
                           domain: Interval = UNBOUNDED) -> tuple[list[Interval], list[Problem]]:
    """Validate intervals given as dicts with ``lower, lower_closed, upper, upper_closed, score``
    (numbers as int/str/Decimal, ``None`` or ``""`` for an infinite end). Returns the parsed
    intervals and every problem found (empty when valid)."""
    problems: list[Problem] = []
    parsed: list[Interval] = []
    for pos, row in enumerate(rows, 1):
        bad = False
        for end in ("lower", "upper"):
            raw = row.get(end)
            if raw in (None, ""):
                if row.get(f"{end}_closed"):
                    problems.append(Problem("infinite_closed", pos, {"end": end}))
                    bad = True
                continue
            if to_decimal(raw) is None:
                problems.append(Problem("bound_not_number", pos, {"end": end, "value": str(raw)}))
                bad = True
        if to_decimal(row.get("score")) is None:
            problems.append(Problem("score_not_number", pos, {"value": str(row.get("score"))}))
            bad = True
        if not bad:
            parsed.append(make_interval(row.get("lower"), row.get("lower_closed", False), row.get("upper"),
                                        row.get("upper_closed", False), row.get("score")))
    if problems:
        return parsed, problems
    return parsed, validate_intervals(parsed, domain)


def validate_intervals(intervals: Sequence[Interval], domain: Interval = UNBOUNDED) -> list[Problem]:
    """Every R-ASM-1 problem of ``intervals`` as listed (positions are 1-based list positions)."""
    problems: list[Problem] = []
    n = len(intervals)
    if n == 0:
        return [Problem("no_intervals")]
    # Each interval on its own.
    sound: list[bool] = []
    for pos, iv in enumerate(intervals, 1):
        ok = True
        for end, bound in (("lower", iv.lower), ("upper", iv.upper)):
            if bound is not None and not has_at_most_2_decimals(bound):
                problems.append(Problem("bound_decimals", pos, {"end": end, "value": fmt(bound)}))
                ok = False
        if iv.lo > iv.hi or (iv.lo == iv.hi and not (iv.lower_closed and iv.upper_closed)):
            problems.append(Problem("empty_interval", pos, {"interval": iv.text()}))
            ok = False
        if iv.score < ZERO or iv.score > HUNDRED:
            problems.append(Problem("score_range", pos, {"score": fmt(iv.score)}))
        elif not has_at_most_2_decimals(iv.score):
            problems.append(Problem("score_decimals", pos, {"score": fmt(iv.score)}))
        sound.append(ok)
    if not all(sound):
        return problems
    # Listed ascending or descending.
    keys = [iv._lower_key() for iv in intervals]
    order = list(range(n))
    if n > 1:
        ascending = keys[1] > keys[0]
        for i in range(1, n):
            if (keys[i] > keys[i - 1]) != ascending or keys[i] == keys[i - 1]:
                direction = "ascending" if ascending else "descending"
                problems.append(Problem("not_ordered", i + 1, {"previous": i, "direction": direction}))
                return problems
        if not ascending:
            order.reverse()
    # Neighbours (in ascending order of values): no gap, no overlap.
    for a_i, b_i in zip(order, order[1:], strict=False):
        a, b = intervals[a_i], intervals[b_i]
        if a.hi > b.lo or (a.hi == b.lo and a.upper_closed and b.lower_closed):
            problems.append(Problem("overlap", b_i + 1, {"other": a_i + 1, "interval": b.text(),
                                                         "other_interval": a.text()}))
        elif a.hi < b.lo:
            problems.append(Problem("gap", b_i + 1, {"other": a_i + 1, "from": fmt(a.hi), "to": fmt(b.lo)}))
        elif not a.upper_closed and not b.lower_closed:  # equal bounds, both open: the point is missing
            problems.append(Problem("gap_point", b_i + 1, {"other": a_i + 1, "value": fmt(b.lo)}))
    # Coverage of the domain at both ends.
    first, last = intervals[order[0]], intervals[order[-1]]
    if not _covers_low(first, domain):
        problems.append(Problem("uncovered_below", order[0] + 1,
                                {"value": fmt(first.lo), "closed": first.lower_closed, "interval": first.text()}))
    if not _covers_high(last, domain):
        problems.append(Problem("uncovered_above", order[-1] + 1,
                                {"value": fmt(last.hi), "closed": last.upper_closed, "interval": last.text()}))
    # The first or the last interval as listed scores 100.
    if intervals[0].score != HUNDRED and intervals[-1].score != HUNDRED:
        problems.append(Problem("no_full_score", None, {"last": n}))
    return problems


def _covers_low(first: Interval, domain: Interval) -> bool:
    if first.lower is None:
        return True
    if domain.lower is None:
        return False
    if first.lower < domain.lower:
        return True
    return first.lower == domain.lower and (first.lower_closed or not domain.lower_closed)


def _covers_high(last: Interval, domain: Interval) -> bool:
    if last.upper is None:
        return True
    if domain.upper is None:
        return False
    if last.upper > domain.upper:
        return True
    return last.upper == domain.upper and (last.upper_closed or not domain.upper_closed)


class IntervalTable:
    """Valid intervals prepared for fast look-up (bisect over the lower ends).

    ``index`` is the listed (0-based) position of the interval hit.
    """

    __slots__ = ("intervals", "_keys", "_ascending_index")

    def __init__(self, intervals: Sequence[Interval]):
        self.intervals = tuple(intervals)
        order = sorted(range(len(self.intervals)), key=lambda i: self.intervals[i]._lower_key())
        self._keys = [self.intervals[i]._lower_key() for i in order]
        self._ascending_index = order

    def lookup(self, value: Decimal) -> int | None:
        """The listed index of the interval holding ``value``; ``None`` outside every interval.

        A value exactly on a bound lands where the open/closed ends say.
        """
        pos = bisect.bisect_right(self._keys, (value, 0)) - 1
        if pos < 0:
            return None
        idx = self._ascending_index[pos]
        return idx if self.intervals[idx].contains(value) else None

    def texts(self) -> list[str]:
        return [iv.text() for iv in self.intervals]


def lookup(intervals: Sequence[Interval], value: Decimal) -> int | None:
    """Listed index of the interval holding ``value`` (see :class:`IntervalTable`)."""
    return IntervalTable(intervals).lookup(value)


def attainment(value: Decimal, target: Decimal | None) -> Decimal | None:
    """Completion rate in percent, value ÷ target × 100 (exact to 6 decimals, half-up);
    ``None`` without a non-zero target."""
    if target is None or target == ZERO:
        return None
    return (value * HUNDRED / target).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


# --- completion rate with floor and cap (保底/封顶) ------------------------------------------------------


def validate_rate(full_score: Any, floor: Any, cap: Any) -> list[Problem]:
    """Problems of a floor-and-cap rule: the full score in (0, 100], floor and cap in [0, 200],
    floor ≤ cap, each with at most 2 decimals. Positions: 1 full score, 2 floor, 3 cap."""
    problems: list[Problem] = []
    parsed: list[Decimal | None] = []
    for pos, (name, raw) in enumerate((("full_score", full_score), ("floor", floor), ("cap", cap)), 1):
        d = to_decimal(raw)
        parsed.append(d)
        if d is None:
            problems.append(Problem("rate_not_number", pos, {"field": name, "value": str(raw)}))
        elif not has_at_most_2_decimals(d):
            problems.append(Problem("rate_decimals", pos, {"field": name, "value": fmt(d)}))
        elif name == "full_score" and (d <= ZERO or d > RATE_FULL_MAX):
            problems.append(Problem("rate_full_range", pos, {"field": name, "value": fmt(d)}))
        elif name != "full_score" and (d < ZERO or d > RATE_CAP_MAX):
            problems.append(Problem("rate_bound_range", pos, {"field": name, "value": fmt(d)}))
    full, lo, hi = parsed
    if not problems and lo is not None and hi is not None and lo > hi:
        problems.append(Problem("rate_floor_above_cap", 2, {"field": "floor", "floor": fmt(lo), "cap": fmt(hi)}))
    return problems


def rate_score(rate: Decimal, full_score: Decimal, floor: Decimal, cap: Decimal) -> tuple[Decimal, str]:
    """Score of a completion rate (percent): rate × full score ÷ 100, raised to ``floor`` when
    below it (保底) and limited to ``cap`` when above it (封顶), rounded half-up to 2 decimals.
    Returns the score and the status (:data:`ST_FLOOR`, :data:`ST_CAP` or :data:`ST_OK`); a
    score exactly on the floor or the cap is ``ST_OK``."""
    raw = rate * full_score / HUNDRED
    if raw < floor:
        return floor, ST_FLOOR
    if raw > cap:
        return cap, ST_CAP
    return round2(raw), ST_OK


def rate_text(floor: Decimal, cap: Decimal) -> str:
    """The range a rate score is held in, e.g. ``[60, 120]`` (shown as the "interval hit")."""
    return f"[{fmt(floor)}, {fmt(cap)}]"


# --- deductions (扣分) -------------------------------------------------------------------------------------


def validate_deduction(full_score: Any, per_unit: Any, minimum: Any) -> list[Problem]:
    """Problems of a deduction rule: full score in (0, 100], points per unit in (0, 100], minimum
    in [0, full score], each with at most 2 decimals. Positions: 1 full score, 2 per unit, 3 minimum."""
    problems: list[Problem] = []
    parsed: list[Decimal | None] = []
    for pos, (name, raw) in enumerate((("full_score", full_score), ("per_unit", per_unit), ("minimum", minimum)), 1):
        d = to_decimal(raw)
        parsed.append(d)
        if d is None:
            problems.append(Problem("rate_not_number", pos, {"field": name, "value": str(raw)}))
        elif not has_at_most_2_decimals(d):
            problems.append(Problem("rate_decimals", pos, {"field": name, "value": fmt(d)}))
        elif name != "minimum" and (d <= ZERO or d > HUNDRED):
            problems.append(Problem("rate_full_range", pos, {"field": name, "value": fmt(d)}))
        elif name == "minimum" and d < ZERO:
            problems.append(Problem("rate_bound_range", pos, {"field": name, "value": fmt(d)}))
    full, _per, low = parsed
    if not problems and full is not None and low is not None and low > full:
        problems.append(Problem("minimum_above_full", 3, {"field": "minimum", "minimum": fmt(low),
                                                          "full": fmt(full)}))
    return problems


def deduction_score(value: Decimal, full_score: Decimal, per_unit: Decimal, minimum: Decimal
                    ) -> tuple[Decimal, str]:
    """Full score − points per unit × value, never below ``minimum`` and never above the full
    score (a negative value deducts nothing), rounded half-up to 2 decimals. Returns the score and
    :data:`ST_DEDUCTED` or :data:`ST_MINIMUM` (the minimum applied)."""
    raw = full_score - per_unit * value
    if raw < minimum:
        return minimum, ST_MINIMUM
    return round2(min(raw, full_score)), ST_DEDUCTED


def deduction_text(full_score: Decimal, per_unit: Decimal, value: Decimal) -> str:
    """The deduction as a formula, e.g. ``100 − 5 × 3``."""
    return f"{fmt(full_score)} − {fmt(per_unit)} × {fmt(value)}"


# --- veto items (一票否决) -------------------------------------------------------------------------------------


def validate_veto(threshold: Any, total: Any) -> list[Problem]:
    """Problems of a veto rule: the threshold a number with at most 2 decimals, the total when hit
    in [0, 100] with at most 2 decimals. Positions: 1 threshold, 2 total."""
    problems: list[Problem] = []
    for pos, (name, raw) in enumerate((("threshold", threshold), ("total", total)), 1):
        d = to_decimal(raw)
        if d is None:
            problems.append(Problem("rate_not_number", pos, {"field": name, "value": str(raw)}))
        elif not has_at_most_2_decimals(d):
            problems.append(Problem("rate_decimals", pos, {"field": name, "value": fmt(d)}))
        elif name == "total" and (d < ZERO or d > HUNDRED):
            problems.append(Problem("veto_total_range", pos, {"field": name, "value": fmt(d)}))
    return problems


def veto_hit(value: Decimal | None, threshold: Decimal) -> bool:
    """Whether a veto rule applies: the value is there and at least the threshold (``value ≥ n``)."""
    return value is not None and value >= threshold


def veto_text(name: str, value: Decimal, threshold: Decimal) -> str:
    """The rule hit as data, e.g. ``客户投诉 = 3 ≥ 1`` (the SQL engine writes the same text)."""
    return f"{name} = {fmt(value)} ≥ {fmt(threshold)}"


def final_total(template_score: Decimal | None, bonus: Decimal = ZERO, adjustment: Decimal = ZERO,
                veto_total: Decimal | None = None) -> Decimal | None:
    """The result's total: ``None`` when held, the veto's total when a veto item was hit,
    else :func:`total`."""
    if template_score is None:
        return None
    if veto_total is not None:
        return veto_total
    return total(template_score, bonus, adjustment)


# --- weights (R-ASM-2) --------------------------------------------------------------------------


def validate_weights(weights: Sequence[Any]) -> list[Problem]:
    """Every R-ASM-2 problem: each weight in (0, 1] with at most 2 decimals, the sum exactly 1."""
    if not weights:
        return [Problem("no_components")]
    problems: list[Problem] = []
    parsed: list[Decimal] = []
    for pos, raw in enumerate(weights, 1):
        w = to_decimal(raw)
        if w is None:
            problems.append(Problem("weight_not_number", pos, {"value": str(raw)}))
            continue
        if w <= ZERO or w > ONE:
            problems.append(Problem("weight_range", pos, {"weight": fmt(w)}))
        elif not has_at_most_2_decimals(w):
            problems.append(Problem("weight_decimals", pos, {"weight": fmt(w)}))
        parsed.append(w)
    if problems:
        return problems
    total = sum(parsed, ZERO)
    if total != ONE:
        problems.append(Problem("weight_sum", None, {"sum": fmt(total)}))
    return problems


# --- composition (R-ASM-2, R-ASM-6) ---------------------------------------------------------------


def weighted_sum(pairs: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Σ score × weight, exact."""
    return sum((s * w for s, w in pairs), ZERO)


def total(template_score: Decimal, bonus: Decimal = ZERO, adjustment: Decimal = ZERO) -> Decimal:
    """R-ASM-6: total = template score (Σ indicator score × weight) + bonus + adjustment."""
    return template_score + bonus + adjustment


# --- batch scoring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AtomicSpec:
    """An atomic indicator as the batch needs it."""

    key: Any
    intervals: tuple[Interval, ...]
    mode: str = MODE_INTERVAL
    missing: str = MISSING_ZERO
    # MODE_RATE only: score = rate × full_score ÷ 100 held in [floor, cap].
    full_score: Decimal = HUNDRED
    floor: Decimal = ZERO
    cap: Decimal = HUNDRED
    # MODE_DEDUCTION only: score = full_score − per_unit × value, at least floor.
    per_unit: Decimal = ZERO


@dataclass(frozen=True)
class IndicatorSpec:
    key: Any
    weight: Decimal
    components: tuple[tuple[Any, Decimal], ...]  # (atomic key, atomic weight)


@dataclass(frozen=True)
class VetoSpec:
    """A veto rule (一票否决): atomic indicator ``key``'s value ≥ ``threshold`` → total ``total``."""

    key: Any
    threshold: Decimal
    total: Decimal = ZERO
    name: str = ""


@dataclass(frozen=True)
class TemplateSpec:
    key: Any
    indicators: tuple[IndicatorSpec, ...]
    vetoes: tuple[VetoSpec, ...] = ()


@dataclass
class BatchResult:
    """Columnar output of :func:`score_batch`.

    Detail rows (one per subject × indicator × atomic indicator) are parallel lists; per-subject
    values are lists aligned with the ``subjects`` given. A blocked subject (a missing value under
    the "block" policy) has ``template_score`` ``None``; its detail rows are still produced so
    the report can show what is missing.
    """

    subjects: list[Any]
    # detail rows
    d_subject: list[int] = field(default_factory=list)  # index into subjects
    d_indicator: list[Any] = field(default_factory=list)
    d_atomic: list[Any] = field(default_factory=list)
    d_value: list[Decimal | None] = field(default_factory=list)
    d_measure: list[Decimal | None] = field(default_factory=list)  # value, or attainment % in that mode
    d_interval_index: list[int | None] = field(default_factory=list)
    d_interval_text: list[str] = field(default_factory=list)
    d_score: list[Decimal] = field(default_factory=list)
    d_weight: list[Decimal] = field(default_factory=list)
    d_contribution: list[Decimal] = field(default_factory=list)
    d_status: list[str] = field(default_factory=list)
    # per subject
    indicator_scores: dict[Any, list[Decimal]] = field(default_factory=dict)
    template_score: list[Decimal | None] = field(default_factory=list)
    blocked: list[bool] = field(default_factory=list)
    # veto items: the listed index of the rule hit (None: none), its total and its text
    veto: list[int | None] = field(default_factory=list)
    veto_total: list[Decimal | None] = field(default_factory=list)
    veto_text: list[str] = field(default_factory=list)

    def detail_rows(self) -> Iterable[tuple]:
        return zip(self.d_subject, self.d_indicator, self.d_atomic, self.d_value, self.d_measure,
                   self.d_interval_index, self.d_interval_text, self.d_score, self.d_weight,
                   self.d_contribution, self.d_status, strict=True)


def score_batch(template: TemplateSpec, atomics: dict[Any, AtomicSpec], subjects: Sequence[Any],
                values: dict[Any, Sequence[Decimal | None]],
                targets: dict[Any, Sequence[Decimal | None]] | None = None) -> BatchResult:
    """Score many subjects under one template at once.

    ``values[atomic_key]`` is a column aligned with ``subjects`` (``None`` = missing);
    ``targets[atomic_key]`` likewise for atomic indicators in attainment mode. Each atomic
    indicator is looked up once per subject however many indicators use it.
    """
    targets = targets or {}
    n = len(subjects)
    res = BatchResult(subjects=list(subjects))
    blocked = [False] * n
    # Score each atomic column once.
    cols: dict[Any, tuple[list, list, list, list, list]] = {}
    for ind in template.indicators:
        for akey, _w in ind.components:
            if akey in cols:
                continue
            spec = atomics[akey]
            table = IntervalTable(spec.intervals)
            texts = table.texts()
            scores_of = [iv.score for iv in table.intervals]
            vals = values.get(akey) or [None] * n
            tgts = targets.get(akey) or [None] * n
            c_measure: list = [None] * n
            c_idx: list = [None] * n
            c_text: list = [""] * n
            c_score: list = [ZERO] * n
            c_status: list = [ST_OK] * n
            rate_mode = spec.mode == MODE_RATE
            deduct = spec.mode == MODE_DEDUCTION
            attain = spec.mode == MODE_ATTAINMENT or rate_mode
            clamp_text = rate_text(spec.floor, spec.cap) if rate_mode else ""
            block = spec.missing == MISSING_BLOCK
            for i in range(n):
                v = vals[i]
                if v is None:
                    c_status[i] = ST_MISSING
                    if block:
                        blocked[i] = True
                    continue
                m = attainment(v, tgts[i]) if attain else v
                if m is None:
                    c_status[i] = ST_NO_TARGET
                    if block:
                        blocked[i] = True
                    continue
                c_measure[i] = m
                if deduct:
                    c_score[i], c_status[i] = deduction_score(m, spec.full_score, spec.per_unit, spec.floor)
                    c_text[i] = deduction_text(spec.full_score, spec.per_unit, m)
                    continue
                if rate_mode:
                    c_score[i], c_status[i] = rate_score(m, spec.full_score, spec.floor, spec.cap)
                    c_text[i] = clamp_text
                    continue
                k = table.lookup(m)
                if k is None:
                    c_status[i] = ST_OUT_OF_DOMAIN
                    if block:
                        blocked[i] = True
                    continue
                c_idx[i] = k
                c_text[i] = texts[k]
                c_score[i] = scores_of[k]
            cols[akey] = (list(vals), c_measure, c_idx, c_text, c_score, c_status)  # type: ignore[assignment]
    template_scores = [ZERO] * n
    for ind in template.indicators:
        ind_scores = [ZERO] * n
        for akey, aweight in ind.components:
            vals, c_measure, c_idx, c_text, c_score, c_status = cols[akey]  # type: ignore[misc]
            contrib = [s * aweight for s in c_score]
            res.d_subject.extend(range(n))
            res.d_indicator.extend([ind.key] * n)
            res.d_atomic.extend([akey] * n)
            res.d_value.extend(vals)
            res.d_measure.extend(c_measure)
            res.d_interval_index.extend(c_idx)
            res.d_interval_text.extend(c_text)
            res.d_score.extend(c_score)
            res.d_weight.extend([aweight] * n)
            res.d_contribution.extend(contrib)
            res.d_status.extend(c_status)
            ind_scores = [a + b for a, b in zip(ind_scores, contrib, strict=True)]
        res.indicator_scores[ind.key] = ind_scores
        template_scores = [t + s * ind.weight for t, s in zip(template_scores, ind_scores, strict=True)]
    res.blocked = blocked
    res.template_score = [None if blocked[i] else template_scores[i] for i in range(n)]
    # Veto items: the first rule hit, as listed; a held subject stays held.
    res.veto = [None] * n
    res.veto_total = [None] * n
    res.veto_text = [""] * n
    for k, veto in enumerate(template.vetoes):
        vals = values.get(veto.key) or [None] * n
        for i in range(n):
            if res.veto[i] is None and not blocked[i] and veto_hit(vals[i], veto.threshold):
                res.veto[i] = k
                res.veto_total[i] = veto.total
                res.veto_text[i] = veto_text(veto.name, vals[i], veto.threshold)
    return res


def rank(values: Sequence[Decimal | None]) -> list[int | None]:
    """Competition ranking (1, 2, 2, 4), highest first; ``None`` values get no rank."""
    ordered = sorted((v for v in values if v is not None), reverse=True)
    first: dict[Decimal, int] = {}
    for i, v in enumerate(ordered, 1):
        first.setdefault(v, i)
    return [None if v is None else first[v] for v in values]
