"""The scoring kernel (pure Python): R-ASM-1 intervals, R-ASM-2 weights, R-ASM-6 composition."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kam.assessment import kernel as k
from kam.assessment.kernel import Interval, Problem

INF = None


def iv(lower, lc, upper, uc, score) -> Interval:
    return k.make_interval(lower, lc, upper, uc, score)


# The REQUIREMENTS example: monthly private-line revenue, target 100000.
EXAMPLE = [
    iv(0, False, 50000, True, 0),
    iv(50000, False, 60000, True, 10),
    iv(60000, False, 70000, True, 20),
    iv(70000, False, 80000, True, 40),
    iv(80000, False, 90000, True, 65),
    iv(90000, False, 100000, False, 90),
    iv(100000, True, INF, False, 100),
]
POSITIVE = iv(0, False, INF, False, 0)  # the declared domain (0, +∞)


def codes(problems: list[Problem]) -> list[tuple[str, int | None]]:
    return [(p.code, p.position) for p in problems]


# --- R-ASM-1 ------------------------------------------------------------------------------------


def test_r_asm_1_requirements_example_is_valid_on_its_domain():
    assert k.validate_intervals(EXAMPLE, POSITIVE) == []


def test_r_asm_1_requirements_example_does_not_cover_every_value():
    problems = k.validate_intervals(EXAMPLE)
    assert codes(problems) == [("uncovered_below", 1)]
    assert problems[0].params["value"] == "0"


def test_r_asm_1_example_listed_descending_is_valid():
    assert k.validate_intervals(list(reversed(EXAMPLE)), POSITIVE) == []


@pytest.mark.parametrize(
    ("value", "interval_text", "score"),
    [
        (D("0.01"), "(0, 50000]", D(0)),
        (D(50000), "(0, 50000]", D(0)),  # closed upper end
        (D("50000.01"), "(50000, 60000]", D(10)),
        (D(60000), "(50000, 60000]", D(10)),
        (D(60001), "(60000, 70000]", D(20)),
        (D(80000), "(70000, 80000]", D(40)),
        (D(90000), "(80000, 90000]", D(65)),
        (D("90000.01"), "(90000, 100000)", D(90)),
        (D("99999.99"), "(90000, 100000)", D(90)),  # open upper end
        (D(100000), "[100000, +∞)", D(100)),  # closed lower end
        (D(10**12), "[100000, +∞)", D(100)),
    ],
)
@pytest.mark.parametrize("descending", [False, True])
def test_r_asm_1_lookup_on_and_around_bounds(value, interval_text, score, descending):
    intervals = list(reversed(EXAMPLE)) if descending else EXAMPLE
    idx = k.lookup(intervals, value)
    assert idx is not None
    assert intervals[idx].text() == interval_text
    assert intervals[idx].score == score


@pytest.mark.parametrize("value", [D(0), D(-1), D("-0.01")])
def test_r_asm_1_lookup_outside_the_domain_finds_nothing(value):
    assert k.lookup(EXAMPLE, value) is None


def test_r_asm_1_whole_line_three_intervals():
    ivs = [iv(INF, False, 0, False, 0), iv(0, True, 10, True, 50), iv(10, False, INF, False, 100)]
    assert k.validate_intervals(ivs) == []
    assert ivs[k.lookup(ivs, D(-5))].score == 0
    assert ivs[k.lookup(ivs, D(0))].score == 50
    assert ivs[k.lookup(ivs, D(10))].score == 50
    assert ivs[k.lookup(ivs, D("10.01"))].score == 100


def test_r_asm_1_single_interval_over_everything():
    assert k.validate_intervals([iv(INF, False, INF, False, 100)]) == []
    assert k.validate_intervals([iv(INF, False, INF, False, 90)]) == [Problem("no_full_score", None, {"last": 1})]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # gap between 10 and 20, named at the second interval as listed
        ([iv(INF, False, 10, True, 0), iv(20, False, INF, False, 100)], [("gap", 2)]),
        # the point 10 is in neither interval (both ends open)
        ([iv(INF, False, 10, False, 0), iv(10, False, INF, False, 100)], [("gap_point", 2)]),
        # the point 10 is in both intervals (both ends closed)
        ([iv(INF, False, 10, True, 0), iv(10, True, INF, False, 100)], [("overlap", 2)]),
        # real overlap
        ([iv(INF, False, 15, True, 0), iv(10, False, INF, False, 100)], [("overlap", 2)]),
        # descending listing: gap named at the interval listed first (it is the upper neighbour)
        ([iv(20, False, INF, False, 100), iv(INF, False, 10, True, 0)], [("gap", 1)]),
        # not ordered: ascending then back
        ([iv(INF, False, 0, True, 0), iv(10, False, INF, False, 100), iv(0, False, 10, True, 50)],
         [("not_ordered", 3)]),
        # top end not covered
        ([iv(INF, False, 0, True, 100), iv(0, False, 10, True, 50)], [("uncovered_above", 2)]),
        # neither first nor last scores 100
        ([iv(INF, False, 0, True, 100), iv(0, False, 10, True, 50), iv(10, False, INF, False, 0)], []),
        ([iv(INF, False, 0, True, 0), iv(0, False, 10, True, 100), iv(10, False, INF, False, 0)],
         [("no_full_score", None)]),
        # bounds with 3 decimals
        ([iv(INF, False, "0.125", True, 0), iv("0.125", False, INF, False, 100)],
         [("bound_decimals", 1), ("bound_decimals", 2)]),
        # 2 decimals (and trailing zeros) are fine
        ([iv(INF, False, "0.12", True, 0), iv("0.1200", False, INF, False, 100)], []),
        # score out of range / with 3 decimals
        ([iv(INF, False, 0, True, "100.01"), iv(0, False, INF, False, 100)], [("score_range", 1)]),
        ([iv(INF, False, 0, True, -1), iv(0, False, INF, False, 100)], [("score_range", 1)]),
        ([iv(INF, False, 0, True, "99.999"), iv(0, False, INF, False, 100)], [("score_decimals", 1)]),
        ([iv(INF, False, 0, True, "99.99"), iv(0, False, INF, False, 100)], []),
        # empty intervals
        ([iv(5, False, 5, True, 0), iv(5, False, INF, False, 100)], [("empty_interval", 1)]),
        ([iv(6, False, 5, True, 0), iv(5, False, INF, False, 100)], [("empty_interval", 1)]),
        ([], [("no_intervals", None)]),
    ],
)
def test_r_asm_1_refusals_name_the_interval(rows, expected):
    assert codes(k.validate_intervals(rows)) == expected


def test_r_asm_1_a_single_closed_point_is_an_interval():
    ivs = [iv(INF, False, 5, False, 0), iv(5, True, 5, True, 50), iv(5, False, INF, False, 100)]
    assert k.validate_intervals(ivs) == []
    assert k.lookup(ivs, D(5)) == 1
    assert k.lookup(ivs, D("5.01")) == 2


@pytest.mark.parametrize(
    ("domain", "first", "ok"),
    [
        (iv(0, True, 100, True, 0), iv(0, True, 50, True, 0), True),
        (iv(0, True, 100, True, 0), iv(0, False, 50, True, 0), False),  # 0 itself not covered
        (iv(0, False, 100, True, 0), iv(0, False, 50, True, 0), True),
        (iv(0, True, 100, True, 0), iv(-10, True, 50, True, 0), True),  # wider than the domain
    ],
)
def test_r_asm_1_declared_domain_lower_end(domain, first, ok):
    ivs = [first, iv(50, False, INF, False, 100)]
    assert (k.validate_intervals(ivs, domain) == []) is ok


def test_r_asm_1_raw_input_not_numbers_and_closed_infinity():
    rows = [
        {"lower": None, "lower_closed": True, "upper": "5万", "upper_closed": True, "score": 0},
        {"lower": 50000, "lower_closed": False, "upper": None, "upper_closed": False, "score": "x"},
    ]
    _parsed, problems = k.validate_intervals_raw(rows)
    assert codes(problems) == [("infinite_closed", 1), ("bound_not_number", 1), ("score_not_number", 2)]


def test_r_asm_1_floats_are_refused_as_numbers():
    assert k.to_decimal(0.1) is None
    assert k.to_decimal("0.1") == D("0.1")
    assert k.to_decimal("inf") is None


def test_interval_text():
    assert iv(INF, False, 0, True, 0).text() == "(−∞, 0]"
    assert iv("1.50", True, INF, False, 0).text() == "[1.5, +∞)"
    assert iv(50000, False, 60000, True, 0).text() == "(50000, 60000]"


# --- attainment ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [(D(50), D(100), D(50)), (D(1), D(3), D("33.333333")), (D(2), D(3), D("66.666667")),
     (D(5), D(0), None), (D(5), None, None), (D(150), D(100), D(150))],
)
def test_attainment_is_percent_of_target(value, target, expected):
    assert k.attainment(value, target) == expected


# --- R-ASM-2 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (["0.33", "0.33", "0.34"], []),
        (["0.33", "0.33", "0.33"], [("weight_sum", None)]),
        (["1"], []),
        (["1.0"], []),
        (["0.5"], [("weight_sum", None)]),
        (["0.5", "0.5"], []),
        (["0", "1"], [("weight_range", 1)]),
        (["1.01"], [("weight_range", 1)]),
        (["-0.5", "1.5"], [("weight_range", 1), ("weight_range", 2)]),
        (["0.333", "0.667"], [("weight_decimals", 1), ("weight_decimals", 2)]),
        (["0.01"] * 100, []),
        ([], [("no_components", None)]),
        (["abc"], [("weight_not_number", 1)]),
        ([0.5, 0.5], [("weight_not_number", 1), ("weight_not_number", 2)]),
    ],
)
def test_r_asm_2_weights(weights, expected):
    assert codes(k.validate_weights(weights)) == expected


def test_r_asm_2_weight_sum_message_params():
    assert k.validate_weights(["0.33", "0.33", "0.33"])[0].params == {"sum": "0.99"}


# --- composition and batch ---------------------------------------------------------------------------


def _template():
    a1 = k.AtomicSpec("rev", tuple(EXAMPLE))
    a2 = k.AtomicSpec("visits", (iv(INF, False, 10, False, 0), iv(10, True, INF, False, 100)))
    a3 = k.AtomicSpec("rate", (iv(INF, False, 80, False, 0), iv(80, True, 100, False, 60),
                               iv(100, True, INF, False, 100)), mode=k.MODE_ATTAINMENT)
    t = k.TemplateSpec("T", (
        k.IndicatorSpec("I1", D("0.6"), (("rev", D("0.7")), ("visits", D("0.3")))),
        k.IndicatorSpec("I2", D("0.4"), (("rate", D("1")),)),
    ))
    return t, {a.key: a for a in (a1, a2, a3)}


def test_r_asm_6_composition_batch():
    t, atomics = _template()
    subjects = ["u1", "u2", "u3"]
    values = {"rev": [D(100000), D(55000), None], "visits": [D(10), D(9), D(12)], "rate": [D(90), D(50), D(1)]}
    targets = {"rate": [D(100), D(100), D(1)]}
    res = k.score_batch(t, atomics, subjects, values, targets)
    # u1: I1 = 100*0.7 + 100*0.3 = 100; I2 = 60 (90% attainment); template = 100*0.6 + 60*0.4 = 84
    # u2: I1 = 10*0.7 + 0*0.3 = 7; I2 = 0 (50%); template = 4.2
    # u3: revenue missing (policy zero) -> 0; I1 = 0 + 30 = 30; I2 = 100 (100%); template = 18 + 40 = 58
    assert res.indicator_scores["I1"] == [D(100), D(7), D(30)]
    assert res.indicator_scores["I2"] == [D(60), D(0), D(100)]
    assert res.template_score == [D(84), D("4.2"), D(58)]
    rows = [r for r in res.detail_rows() if r[0] == 1 and r[2] == "rev"]
    assert rows == [(1, "I1", "rev", D(55000), D(55000), 1, "(50000, 60000]", D(10), D("0.7"), D("7.0"), k.ST_OK)]
    missing = [r for r in res.detail_rows() if r[0] == 2 and r[2] == "rev"][0]
    assert missing[3] is None and missing[-1] == k.ST_MISSING and missing[7] == 0
    assert k.total(res.template_score[1], D(2), D("-1.5")) == D("4.7")


def test_batch_block_policy_and_out_of_domain():
    t, atomics = _template()
    atomics["rev"] = k.AtomicSpec("rev", tuple(EXAMPLE), missing=k.MISSING_BLOCK)
    values = {"rev": [None, D(-5), D(1)], "visits": [D(1)] * 3, "rate": [D(1)] * 3}
    res = k.score_batch(t, atomics, ["a", "b", "c"], values, {"rate": [D(1), None, D(1)]})
    assert res.blocked == [True, True, False]
    assert res.template_score[:2] == [None, None]
    statuses = {(r[0], r[2]): r[-1] for r in res.detail_rows()}
    assert statuses[(1, "rev")] == k.ST_OUT_OF_DOMAIN
    assert statuses[(1, "rate")] == k.ST_NO_TARGET


def test_batch_is_exact_to_six_decimals():
    a = k.AtomicSpec("a", (iv(INF, False, INF, False, "99.99"),))
    b = k.AtomicSpec("b", (iv(INF, False, INF, False, "33.33"),))
    t = k.TemplateSpec("T", (
        k.IndicatorSpec("I1", D("0.33"), (("a", D("0.33")), ("b", D("0.67")))),
        k.IndicatorSpec("I2", D("0.67"), (("b", D("1")),)),
    ))
    res = k.score_batch(t, {"a": a, "b": b}, [1], {"a": [D(1)], "b": [D(1)]})
    i1 = D("99.99") * D("0.33") + D("33.33") * D("0.67")
    assert res.indicator_scores["I1"] == [i1]
    assert res.template_score == [i1 * D("0.33") + D("33.33") * D("0.67")]
    assert res.template_score == [D("40.589274")]
    assert k.round2(res.template_score[0]) == D("40.59")


def test_rank_competition_ranking():
    assert k.rank([D(5), D(9), D(5), None, D(1)]) == [2, 1, 2, None, 4]
