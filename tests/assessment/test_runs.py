"""Computation (考核计算) and adjustments (R-ASM-3, R-ASM-6): every score explains itself, re-runs are
safe, later configuration edits never change a computed month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kam.assessment import services
from kam.assessment.models import (
    Adjustment,
    AssessmentRun,
    MissingPolicy,
    Result,
    ResultStatus,
    RunStatus,
    RunTrigger,
    ScoreDetail,
)

from .conftest import CONFIG_DAY, MONTH, REVENUE_INTERVALS, at, values_for

pytestmark = pytest.mark.django_db

# me: every score 100; peer: 10/0/50; sub: bounds 90000 (closed) and 10 visits; dept: 99999.99 (open end).
ROWS = {"me": (100000, 12, 3), "peer": (55000, 9, 1), "sub": (90000, 10, 0), "dept": ("99999.99", 10, 2)}
EXPECTED = {"me": D(100), "peer": D("24.2"), "sub": D("45.3"), "dept": D("95.8"), "city_a": D(0), "other": D(0)}


def run(period=MONTH, day=dt.date(2026, 4, 7), **kw) -> AssessmentRun:
    with at(day):
        return services.run_start(user=None, period=period, background=False, **kw)


def totals(world) -> dict[str, D]:
    by_id = {r.subject_id: r.total for r in Result.objects.filter(period=MONTH)}
    return {name: by_id.get(world.user(name).pk) for name in EXPECTED}


@pytest.fixture
def filled(config):
    services.metric_values_save(items=values_for(config["world"], ROWS))
    return config


def test_run_scores_and_explains_every_number(filled):
    world = filled["world"]
    r = run()
    assert r.status == RunStatus.SUCCEEDED and r.result_count == 6
    assert totals(world) == EXPECTED
    sub = Result.objects.get(period=MONTH, subject_id=world.user("sub").pk)
    rows = [(d.indicator_name, d.atomic_name, d.value, d.interval_text, d.score, d.weight, d.contribution,
             d.indicator_score, d.indicator_weight) for d in sub.details.all()]
    assert rows == [
        ("信息化收入", "专线本月收入", D(90000), "(80000, 90000]", D(65), D("0.7"), D("45.5"), D("75.5"), D("0.6")),
        ("信息化收入", "客户拜访次数", D(10), "[10, +∞)", D(100), D("0.3"), D(30), D("75.5"), D("0.6")),
        ("新增EC", "新增EC数", D(0), "(−∞, 0]", D(0), D(1), D(0), D(0), D("0.4")),
    ]
    assert sub.template_name == "客户经理月度考核" and sub.subject_label == "sub"
    # Ranks: me 100, dept 95.8, sub 45.3, peer 24.2, city_a & other 0 (tied).
    ranks = {r.subject_label: r.rank for r in Result.objects.filter(period=MONTH)}
    assert ranks == {"me": 1, "dept": 2, "sub": 3, "peer": 4, "city_a": 5, "other": 5}
    # In county 1 (me, peer): me 1, peer 2.
    assert Result.objects.get(subject_label="peer").rank_in_unit == 2


def test_missing_values_report_and_score_zero_policy(filled):
    world = filled["world"]
    r = run()
    report = r.report
    assert report["subjects"] == 6 and report["unassigned_count"] == 0
    missing = {m["atomic_name"]: m for m in report["missing_values"]}
    assert missing["专线本月收入"]["missing_count"] == 2
    assert sorted(name for _id, name in missing["专线本月收入"]["missing"]) == ["city_a", "other"]
    assert missing["专线本月收入"]["policy"] == MissingPolicy.ZERO
    detail = ScoreDetail.objects.filter(result__subject_id=world.user("other").pk).first()
    assert detail.value is None and detail.status == "missing" and detail.score == 0


def test_block_policy_holds_the_result(filled):
    world = filled["world"]
    a_rev = filled["atomics"][0]
    with at(CONFIG_DAY):
        services.atomic_indicator_update(atomic=a_rev, missing_policy=MissingPolicy.BLOCK)
    r = run()
    assert r.report["blocked"] == 2
    held = Result.objects.get(period=MONTH, subject_id=world.user("other").pk)
    assert held.status == ResultStatus.BLOCKED and held.total is None and held.rank is None
    assert Result.objects.get(period=MONTH, subject_id=world.user("me").pk).total == 100


def test_managers_without_template_are_reported(filled):
    world = filled["world"]
    from kam.assessment.models import Assignment

    with at(CONFIG_DAY):
        services.assignment_delete(assignment=Assignment.objects.get(subject_id=world.user("peer").pk))
    r = run()
    assert r.report["unassigned_count"] == 1 and r.report["unassigned"][0][1] == "peer"
    assert r.result_count == 5


# --- calendar of the computation ---------------------------------------------------------------------


@pytest.mark.parametrize(("day", "allowed"), [
    (dt.date(2026, 3, 31), False),  # the month has not ended
    (dt.date(2026, 4, 1), True),  # manual run once the month is over
    (dt.date(2026, 4, 6), True),
    (dt.date(2026, 4, 7), True),  # computation day
    (dt.date(2026, 4, 16), True),
])
def test_r_asm_3_month_computed_only_after_it_ended(filled, day, allowed):
    with translation.override("en"):
        if allowed:
            assert run(day=day).status == RunStatus.SUCCEEDED
        else:
            with pytest.raises(ValidationError) as exc:
                run(day=day)
            assert "Month 2026-03 has not ended yet: it can be computed from 2026-04-01, automatically on " \
                   "2026-04-07." in str(exc.value)


@pytest.mark.parametrize(("day", "runs"), [(6, 0), (7, 1), (8, 1)])
def test_r_asm_3_automatic_run_on_the_computation_day(filled, day, runs):
    with at(dt.date(2026, 4, day)):
        services.assessment_compute_due()
        services.assessment_compute_due()  # a second tick does not compute again
    assert AssessmentRun.objects.filter(period=MONTH, trigger=RunTrigger.AUTO).count() == runs
    if runs:
        assert Result.objects.filter(period=MONTH).count() == 6


def test_run_needs_the_run_permission(filled):
    world = filled["world"]
    from django.core.exceptions import PermissionDenied

    with at(dt.date(2026, 4, 7)), pytest.raises(PermissionDenied):
        services.run_start(user=world.user("me"), period=MONTH, background=False)


# --- idempotence and history --------------------------------------------------------------------------


def test_rerun_gives_the_same_results_replaced_not_duplicated(filled):
    world = filled["world"]
    first = run()
    before = list(Result.objects.filter(period=MONTH).order_by("subject_id").values_list(
        "subject_id", "score", "total", "rank"))
    details_before = ScoreDetail.objects.filter(result__period=MONTH).count()
    second = run(day=dt.date(2026, 4, 8))
    assert second.input_hash == first.input_hash
    after = list(Result.objects.filter(period=MONTH).order_by("subject_id").values_list(
        "subject_id", "score", "total", "rank"))
    assert after == before
    assert ScoreDetail.objects.filter(result__period=MONTH).count() == details_before == 18
    assert Result.objects.filter(period=MONTH).count() == 6
    assert set(Result.objects.values_list("run_id", flat=True)) == {second.pk}
    # A late value changes the input and the result.
    services.metric_values_save(items=values_for(world, {"other": (100000, None, None)}))
    third = run(day=dt.date(2026, 4, 9))
    assert third.input_hash != first.input_hash
    assert totals(world)["other"] == D(42)  # 100 × 0.7 × 0.6


def test_history_unchanged_after_a_config_edit(filled):
    world = filled["world"]
    a_rev = filled["atomics"][0]
    run()
    # On the 10th the intervals and weights change for the coming months.
    rows = [dict(r) for r in REVENUE_INTERVALS]
    rows[1]["score"] = 50
    with at(dt.date(2026, 4, 10)):
        services.atomic_indicator_update(atomic=a_rev, intervals=rows)
        services.indicator_update(indicator=filled["indicators"][0], components=[
            {"atomic": a_rev, "weight": "0.5"}, {"atomic": filled["atomics"][1], "weight": "0.5"}])
    # Re-running March uses the configuration March was computed with.
    rerun = run(day=dt.date(2026, 4, 11))
    assert totals(world) == EXPECTED
    assert rerun.config["atomics"][str(a_rev.pk)]["intervals"][1] == ["50000.00", False, "60000.00", True, "10.00"]
    # Unless an authorised user asks to re-read today's configuration.
    run(day=dt.date(2026, 4, 12), refresh_config=True)
    assert totals(world)["peer"] == D(35)  # (50×0.5 + 0×0.5)×0.6 + 50×0.4


# --- R-ASM-6: adjustments -------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "allowed"), [
    (dt.date(2026, 4, 1), True), (dt.date(2026, 4, 5), True), (dt.date(2026, 4, 6), True),
    (dt.date(2026, 4, 7), True), (dt.date(2026, 4, 15), True), (dt.date(2026, 4, 16), False),
    (dt.date(2026, 5, 10), False),  # March is no longer last month
])
def test_r_asm_6_adjustment_window(filled, day, allowed):
    run(day=dt.date(2026, 4, 1))
    result = Result.objects.get(period=MONTH, subject_label="peer")
    with at(day), translation.override("en"):
        if allowed:
            services.adjustment_create(user=None, result=result, delta="-4.2", reason="客户投诉扣分")
            result.refresh_from_db()
            assert result.total == D(20) and result.adjustment == D("-4.2")
        else:
            with pytest.raises(ValidationError) as exc:
                services.adjustment_create(user=None, result=result, delta="1", reason="x")
            assert "Only last month's scores can be adjusted, on days 1 to 15 of this month." in str(exc.value)


def test_r_asm_6_adjustment_needs_reason_is_audited_and_survives_a_rerun(filled):
    from kam.audit.models import AuditEntry

    run()
    result = Result.objects.get(period=MONTH, subject_label="sub")
    with at(dt.date(2026, 4, 8)):
        with pytest.raises(ValidationError) as exc:
            services.adjustment_create(user=None, result=result, delta="2", reason="  ")
        assert "reason" in exc.value.message_dict
        adj = services.adjustment_create(user=None, result=result, delta="4.7", reason="重点项目额外贡献")
    result.refresh_from_db()
    assert result.total == D(50)  # 45.3 + 4.7 (R-ASM-6: total = Σ indicator scores + adjustment)
    assert AuditEntry.objects.filter(object_id=str(adj.pk), content_type__model="adjustment").exists()
    run(day=dt.date(2026, 4, 9))
    assert Result.objects.get(period=MONTH, subject_label="sub").total == D(50)
    assert Adjustment.objects.count() == 1


def test_supervisor_adjusts_subordinates_only(filled):
    """R-PERM-2: the supervisor "me" adjusts "sub" (a subordinate), not "peer"."""
    from django.core.exceptions import PermissionDenied

    from tests.helpers.world import grant_role

    world = filled["world"]
    me = world.user("me")
    grant_role(me, "assessment", "own_sub")
    run()
    with at(dt.date(2026, 4, 8)):
        services.adjustment_create(user=me, result=Result.objects.get(subject_label="sub"), delta="1", reason="r")
        with pytest.raises(PermissionDenied):
            services.adjustment_create(user=me, result=Result.objects.get(subject_label="peer"), delta="1",
                                       reason="r")


def test_bonus_points_count_in_the_total(filled):
    world = filled["world"]
    run()
    with at(dt.date(2026, 4, 8)):
        services.bonus_create(user=None, subject_type="manager", subject_id=world.user("peer").pk, period=MONTH,
                              points="5", reason="额外贡献")
    assert totals(world)["peer"] == D("29.2")
    run(day=dt.date(2026, 4, 9))
    assert totals(world)["peer"] == D("29.2")


def test_demo_step_configures_and_computes_last_month(managers):
    import random

    from kam.assessment.demo import assessment_demo
    from kam.core.demo import DemoContext

    with at(dt.date(2026, 4, 3)):  # inside the lock window: the demo loads anyway
        assessment_demo(DemoContext(size="demo", rng=random.Random(1), password="x"))
    r = AssessmentRun.objects.get()
    assert r.period == "2026-03" and r.status == RunStatus.SUCCEEDED and r.result_count == 6
    assert ScoreDetail.objects.count() == 6 * 8
    assert all(t is not None for t in Result.objects.values_list("total", flat=True))
    # published for confirmation (decision 0026): the window of March is open until April 15
    from kam.assessment.models import ConfirmationState, Publication, ResultConfirmation

    assert r.trigger == "auto" and Publication.objects.get().result_count == 6
    assert set(ResultConfirmation.objects.values_list("state", flat=True)) == {ConfirmationState.PENDING}


def test_rerun_after_configuration_was_deleted_keeps_the_month(filled):
    """A re-run of a computed month works from its recorded configuration even after the
    indicators it used were deleted; the details keep their names."""
    i_info, i_ec = filled["indicators"]
    run()
    with at(dt.date(2026, 4, 10)):
        services.template_update(template=filled["template"], components=[{"indicator": i_info, "weight": "1"}])
        services.indicator_delete(indicator=i_ec)
        services.atomic_indicator_delete(atomic=filled["atomics"][2])
    run(day=dt.date(2026, 4, 11))
    assert totals(filled["world"]) == EXPECTED
    detail = ScoreDetail.objects.get(result__subject_label="me", atomic_name="新增EC数")
    assert detail.indicator is None and detail.atomic is None and detail.indicator_name == "新增EC"


def test_names_with_special_characters_are_copied_exactly(filled):
    r"""Details are written in bulk (COPY on PostgreSQL): backslashes, tabs and line breaks survive."""
    atomic = filled["atomics"][1]
    odd = "拜访\\次数\t(含\n上门)"
    with at(CONFIG_DAY):
        services.atomic_indicator_update(atomic=atomic, name=odd)
    run()
    assert set(ScoreDetail.objects.filter(atomic=atomic).values_list("atomic_name", flat=True)) == {odd}
