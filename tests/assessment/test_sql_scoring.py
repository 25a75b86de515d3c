"""The SQL engine (scoring inside PostgreSQL, or SQLite on scaled integers) against the pure kernel
on the same data: every result and detail row equal, the missing-data report equal. Boundary values:
bounds hit exactly on open and closed ends (R-ASM-1), descending intervals, completion rates
exactly on a bound and rounded to 6 decimals, a zero target, values outside the declared domain,
missing values under both policies, an atomic indicator used by two indicators, ties in the
ranking; completion rates with floor and cap (保底/封顶) below, on and above both limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection

from kam.assessment import services
from kam.assessment.models import AssessmentRun, Metric, MissingPolicy, Result, ScoreDetail, ScoringMode

from .conftest import CONFIG_DAY, MONTH, at

pytestmark = pytest.mark.django_db

DESCENDING_COMPLETION = [  # listed descending, completion rate in percent
    {"lower": 100, "lower_closed": True, "upper": None, "upper_closed": False, "score": 100},
    {"lower": 80, "lower_closed": True, "upper": 100, "upper_closed": False, "score": 60},
    {"lower": None, "lower_closed": False, "upper": 80, "upper_closed": False, "score": 0},
]

# name: (revenue, visits, new EC, revenue target)
VALUES = {
    "me": ("100000", "10", "2", "100000"),  # every value on a closed lower bound; 100% exactly
    "peer": ("0", "9.9999", "0", "0"),  # revenue outside the domain (0 excluded); zero target: held
    "sub": ("90000", "10", "0", "112500"),  # 90000 on a closed upper bound; exactly 80%
    "dept": ("99999.99", None, "2", "7"),  # open upper bound; 1428571.285714 % after rounding
    "city_a": (None, None, None, None),  # nothing: held by the completion rate
    "other": ("50000", "10", "1", "60000"),  # 83.333333 %
}


@pytest.fixture
def month(config):
    world = config["world"]
    rev, _visits, _new_ec = config["metrics"]
    a_rev, _a_vis, _a_ec = config["atomics"]
    i_info, i_ec = config["indicators"]
    with at(CONFIG_DAY):
        target = services.metric_create(code="revenue_target", name="收入目标", unit="元")
        a_done = services.atomic_indicator_create(
            name="收入完成率", metric=rev, mode=ScoringMode.ATTAINMENT, target_metric=target,
            missing_policy=MissingPolicy.BLOCK, intervals=DESCENDING_COMPLETION)
        i_done = services.indicator_create(name="完成情况", components=[
            {"atomic": a_done, "weight": "0.5"}, {"atomic": a_rev, "weight": "0.5"}])
        services.template_update(template=config["template"], components=[
            {"indicator": i_info, "weight": "0.33"}, {"indicator": i_ec, "weight": "0.33"},
            {"indicator": i_done, "weight": "0.34"}])
    items = []
    for name, row in VALUES.items():
        for code, value in zip(("private_line_revenue", "visits", "new_ec", "revenue_target"), row, strict=True):
            if value is not None:
                items.append({"metric": code, "subject_type": "manager", "subject": world.user(name).pk,
                              "period": MONTH, "value": value})
    services.metric_values_save(items=items)
    with at(dt.date(2026, 4, 8)):
        for name in ("me", "sub"):  # equal totals → equal ranks
            services.bonus_create(user=None, subject_type="manager", subject_id=world.user(name).pk, period=MONTH,
                                  points="1.5", reason="并列")
    return config


def _rows():
    results = sorted(Result.objects.filter(period=MONTH).values_list(
        "subject_type", "subject_id", "user_id", "org_unit_id", "subject_label", "template_id", "template_name",
        "status", "score", "bonus", "adjustment", "total", "rank", "rank_in_unit"))
    details = sorted(ScoreDetail.objects.filter(result__period=MONTH).values_list(
        "result__subject_id", "position", "indicator_id", "indicator_name", "indicator_weight", "indicator_score",
        "atomic_id", "atomic_name", "metric_code", "value", "measure", "interval_position", "interval_text", "score",
        "weight", "contribution", "status"))
    return results, details


def _compute(engine: str) -> AssessmentRun:
    with at(dt.date(2026, 4, 9)):
        run = AssessmentRun.objects.create(period=MONTH, refresh_config=True)
        return services.compute(run, engine=engine)


def test_sql_engine_and_kernel_write_the_same_rows(month):
    kernel_run = _compute(services.ENGINE_KERNEL)
    kernel_rows = _rows()
    sql_run = _compute(services.ENGINE_SQL)
    sql_rows = _rows()
    assert sql_rows[0] == kernel_rows[0]
    assert sql_rows[1] == kernel_rows[1]
    assert sql_run.report == kernel_run.report
    assert sql_run.result_count == kernel_run.result_count == 6
    # What the boundaries gave (read from the SQL engine's rows).
    results = {r[1]: r for r in sql_rows[0]}
    world = month["world"]
    assert results[world.user("peer").pk][7] == "blocked" and results[world.user("city_a").pk][7] == "blocked"
    me, sub = results[world.user("me").pk], results[world.user("sub").pk]
    measures = {(d[0], d[7]): (d[10], d[12], d[16]) for d in sql_rows[1]}
    assert measures[(world.user("sub").pk, "收入完成率")][:2] == (80, "[80, 100)")
    assert str(measures[(world.user("other").pk, "收入完成率")][0]) == "83.333333"
    assert measures[(world.user("peer").pk, "专线本月收入")][2] == "out_of_domain"
    assert measures[(world.user("peer").pk, "收入完成率")][2] == "no_target"
    assert me[12] == 1 and sub[12] is not None
    # A re-run with the same engine gives the same rows and the same fingerprint.
    again = _compute(services.ENGINE_SQL)
    assert _rows() == sql_rows and again.input_hash == sql_run.input_hash


def test_sql_engine_is_used_on_postgresql_and_sqlite():
    assert connection.vendor in ("postgresql", "sqlite")
    assert services.scoring_engine() == services.ENGINE_SQL


@pytest.fixture
def rate_month(month):
    """The month above plus two completion rates with floor and cap (保底/封顶) on revenue ÷ target:
    full score 100, floor 80, cap 100 (sub exactly on the floor at 80%, me exactly on the cap at
    100%, other 83.333333 → 83.33, dept far above the cap) and full score 90, floor 75, cap 90
    (sub 72 raised to the floor, other 74.9999997 raised to the floor, me exactly on the cap); and
    two deductions (扣分): visits × 2.5 from 100, at least 75 (10 visits exactly on the minimum,
    9.9999 → 75.00025 rounded), new EC × 30 from 100, at least 50 (2 → held at 50)."""
    config = month
    i_info, i_ec = config["indicators"]
    rev, visits, new_ec = config["metrics"]
    with at(CONFIG_DAY):
        target = Metric.objects.get(code="revenue_target")
        a_full = services.atomic_indicator_create(
            name="完成率保底封顶", metric=rev, mode=ScoringMode.RATE, target_metric=target,
            full_score="100", score_floor="80", score_cap="100")
        a_ninety = services.atomic_indicator_create(
            name="完成率满分90", metric=rev, mode=ScoringMode.RATE, target_metric=target,
            missing_policy=MissingPolicy.BLOCK, full_score="90", score_floor="75", score_cap="90")
        i_rate = services.indicator_create(name="保底封顶", components=[
            {"atomic": a_full, "weight": "0.6"}, {"atomic": a_ninety, "weight": "0.4"}])
        d_visits = services.atomic_indicator_create(
            name="拜访扣分", metric=visits, mode=ScoringMode.DEDUCTION, full_score="100", deduction_per_unit="2.5",
            score_floor="75")
        d_ec = services.atomic_indicator_create(
            name="新增EC扣分", metric=new_ec, mode=ScoringMode.DEDUCTION, missing_policy=MissingPolicy.BLOCK,
            full_score="100", deduction_per_unit="30", score_floor="50")
        i_ded = services.indicator_create(name="扣分项", components=[
            {"atomic": d_visits, "weight": "0.5"}, {"atomic": d_ec, "weight": "0.5"}])
        services.template_update(template=config["template"], components=[
            {"indicator": i_info, "weight": "0.2"}, {"indicator": i_ec, "weight": "0.2"},
            {"indicator": i_rate, "weight": "0.3"}, {"indicator": i_ded, "weight": "0.3"}])
    return config


def test_sql_engine_and_kernel_agree_on_floor_and_cap_and_deductions(rate_month):
    kernel_run = _compute(services.ENGINE_KERNEL)
    kernel_rows = _rows()
    sql_run = _compute(services.ENGINE_SQL)
    sql_rows = _rows()
    assert sql_rows[0] == kernel_rows[0]
    assert sql_rows[1] == kernel_rows[1]
    assert sql_run.report == kernel_run.report
    world = rate_month["world"]
    got = {(d[0], d[7]): (d[11], d[12], d[13], d[16]) for d in sql_rows[1]}  # position, text, score, status

    def cell(name, atomic):
        return got[(world.user(name).pk, atomic)]

    assert cell("sub", "完成率保底封顶") == (None, "[80, 100]", 80, "ok")
    assert cell("me", "完成率保底封顶") == (None, "[80, 100]", 100, "ok")
    assert cell("other", "完成率保底封顶")[2:] == (D("83.33"), "ok")
    assert cell("dept", "完成率保底封顶")[2:] == (100, "cap")
    assert cell("sub", "完成率满分90")[2:] == (75, "floor")
    assert cell("other", "完成率满分90")[2:] == (75, "floor")
    assert cell("me", "完成率满分90")[2:] == (90, "ok")
    assert cell("peer", "完成率满分90")[2:] == (0, "no_target")
    assert cell("me", "拜访扣分") == (None, "100 − 2.5 × 10", 75, "deducted")  # exactly on the minimum
    assert cell("peer", "拜访扣分")[1:] == ("100 − 2.5 × 9.9999", 75, "deducted")  # 75.00025 → 75.00
    assert cell("dept", "拜访扣分")[1:] == ("", 0, "missing")
    assert cell("me", "新增EC扣分")[1:] == ("100 − 30 × 2", 50, "minimum")
    assert cell("other", "新增EC扣分")[2:] == (70, "deducted")
    results = {r[1]: r[7] for r in sql_rows[0]}
    assert results[world.user("peer").pk] == "blocked"  # no target under the block policy
    assert results[world.user("sub").pk] == "scored"  # the floor never holds a result


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the exact range of the SQLite engine")
def test_sqlite_engine_hands_a_month_beyond_its_exact_range_to_the_kernel(month):
    """SQLite stores decimals as floats; the SQL engine scores on integers scaled from them, exact
    for |value| < 10¹¹. A month with a bigger value is scored by the kernel (nothing of the
    refused attempt is kept), and asking for the SQL engine by name refuses it."""
    from kam.assessment.sqlitescoring import Unfit

    world = month["world"]
    services.metric_values_save(items=[{"metric": "visits", "subject_type": "manager",
                                        "subject": world.user("dept").pk, "period": MONTH,
                                        "value": "100000000000"}])
    kernel_run = _compute(services.ENGINE_KERNEL)
    kernel_rows = _rows()
    with pytest.raises(Unfit):
        _compute(services.ENGINE_SQL)
    assert _rows() == kernel_rows
    with at(dt.date(2026, 4, 9)):
        auto = services.compute(AssessmentRun.objects.create(period=MONTH, refresh_config=True))
    assert _rows() == kernel_rows and auto.report == kernel_run.report
    visits = ScoreDetail.objects.get(result__subject_id=world.user("dept").pk, atomic_name="客户拜访次数")
    assert visits.value == D("100000000000") and visits.status == "ok"
