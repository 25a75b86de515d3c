"""Publishing targets into the scoring (REQUIREMENTS §7 "beyond the seeds": 目标/冲刺/挑战 tiers): month
targets become metric values of the tier metrics, idempotently, and an attainment atomic indicator
scores against the 目标 or the 冲刺 tier in a real computation run — with the kernel unchanged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kam.assessment import services, targets
from kam.assessment.models import MetricSource, MetricValue, Result, ScoringMode, SubjectType, TargetSubjectType
from kam.org.models import DataScope, Role
from tests.helpers.world import grant_role

from .conftest import CONFIG_DAY, MONTH, at

pytestmark = pytest.mark.django_db

ATTAIN = [  # completion rate in %
    {"lower": None, "lower_closed": False, "upper": 80, "upper_closed": False, "score": 0},
    {"lower": 80, "lower_closed": True, "upper": 100, "upper_closed": False, "score": 60},
    {"lower": 100, "lower_closed": True, "upper": None, "upper_closed": False, "score": 100},
]


@pytest.fixture
def setup(managers):
    world = managers
    revenue = services.metric_create(code="revenue", name="收入", unit="元", subject_types=["manager", "department"])
    tiers = targets.tier_metrics_set(metric=revenue, create_missing=True)
    return world, revenue, tiers


def manager_target(world, metric, name, period=MONTH, tiers=("100", "125", None)):
    return targets.target_create(metric=metric, subject_type=TargetSubjectType.MANAGER,
                                 subject_id=world.user(name).pk, period=period, target_value=tiers[0],
                                 sprint_value=tiers[1], challenge_value=tiers[2])


def unit_target(world, metric, unit, period=MONTH, tiers=("100", None, None)):
    return targets.target_create(metric=metric, subject_type=TargetSubjectType.UNIT, subject_id=world.unit(unit).pk,
                                 period=period, target_value=tiers[0], sprint_value=tiers[1],
                                 challenge_value=tiers[2])


def published(metric_codes=("revenue_target", "revenue_sprint", "revenue_challenge")):
    return {(mv.metric.code, mv.subject_type, mv.subject_id, mv.period): mv.value
            for mv in MetricValue.objects.filter(metric__code__in=metric_codes).select_related("metric")}


def test_tier_metrics_are_created_after_the_measured_metric(setup):
    _world, revenue, tiers = setup
    assert [(m.code, m.name, m.source, m.subject_types) for m in (tiers.target_metric, tiers.sprint_metric,
                                                                   tiers.challenge_metric)] == [
        ("revenue_target", "收入目标值", MetricSource.TARGET, ["manager", "department"]),
        ("revenue_sprint", "收入冲刺值", MetricSource.TARGET, ["manager", "department"]),
        ("revenue_challenge", "收入挑战值", MetricSource.TARGET, ["manager", "department"])]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        targets.tier_metrics_set(metric=revenue, target_metric=revenue, sprint_metric=tiers.sprint_metric,
                                 challenge_metric=tiers.sprint_metric)
    assert exc.value.message_dict == {
        "target_metric": ["A tier's metric must differ from the measured metric."],
        "challenge_metric": ["“收入冲刺值” is chosen for two tiers."]}
    other = services.metric_create(code="visits", name="拜访", subject_types=["manager"])
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        targets.tier_metrics_set(metric=other, target_metric=tiers.target_metric)
    assert exc.value.message_dict == {"target_metric": ["“收入目标值” already holds the targets of “收入”."]}


def test_publish_writes_month_targets_of_managers_and_departments_idempotently(setup):
    world, revenue, _tiers = setup
    county = unit_target(world, revenue, "county_1", tiers=("100", "120", "150"))
    targets.target_decompose(target=county, split="managers")  # me, peer: 50 / 60 / 75
    unit_target(world, revenue, "dept", tiers=("30", "40", None))  # 营销部 is a department: assessed
    unit_target(world, revenue, "city_a")  # a city is not assessed: not published
    report = targets.targets_publish(period=MONTH, metric=revenue)
    assert (report["written"], report["removed"], report["skipped"], report["months"]) == (8, 0, 2, [MONTH])
    me, peer, dept = world.user("me").pk, world.user("peer").pk, world.unit("dept").pk
    expected = {
        ("revenue_target", "manager", me, MONTH): D(50), ("revenue_sprint", "manager", me, MONTH): D(60),
        ("revenue_challenge", "manager", me, MONTH): D(75),
        ("revenue_target", "manager", peer, MONTH): D(50), ("revenue_sprint", "manager", peer, MONTH): D(60),
        ("revenue_challenge", "manager", peer, MONTH): D(75),
        ("revenue_target", "department", dept, MONTH): D(30), ("revenue_sprint", "department", dept, MONTH): D(40),
    }
    assert published() == expected
    assert set(MetricValue.objects.filter(metric__code__startswith="revenue_").values_list("source", flat=True)) == {
        MetricSource.TARGET}
    # Idempotent: the same values, no duplicates.
    again = targets.targets_publish(period=MONTH, metric=revenue)
    assert (again["written"], again["removed"]) == (8, 0) and published() == expected
    # A target removed: its published values go at the next publication.
    targets.target_delete(target=county.children.get(user__username="peer"))
    after = targets.targets_publish(period="2026-Q1", metric=revenue)
    assert (after["written"], after["removed"], after["months"]) == (5, 3, ["2026-01", "2026-02", "2026-03"])
    assert published() == {k: v for k, v in expected.items() if k[2] != peer or k[1] != "manager"}


def test_unit_targets_published_only_for_subjects_the_metric_applies_to(managers):
    visits = services.metric_create(code="visits", name="拜访", subject_types=["manager"])
    targets.tier_metrics_set(metric=visits, create_missing=True)
    unit_target(managers, visits, "dept")  # a department, but 拜访 is kept for managers only
    manager_target(managers, visits, "me", tiers=("10", None, None))
    report = targets.targets_publish(period=MONTH, metric=visits)
    assert (report["written"], report["skipped"]) == (1, 1)
    assert published(("visits_target",)) == {("visits_target", "manager", managers.user("me").pk, MONTH): D(10)}


def test_publish_refusals(setup):
    world, revenue, _tiers = setup
    visits = services.metric_create(code="visits", name="拜访", subject_types=["manager"])
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        targets.targets_publish(period=MONTH, metric=visits)
    assert exc.value.message_dict["metric"] == [
        "“拜访” has no target metrics: set them under target publishing settings first."]
    manager_target(world, revenue, "peer")
    world.user("peer").roles.remove(Role.objects.get(code="account_manager"))
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        targets.targets_publish(period=MONTH, metric=revenue)
    assert exc.value.message_dict["period"] == [
        "Nothing was published:", f"peer · {MONTH}: {world.user('peer').pk} is not an account manager."]
    assert not published()
    # Publishing writes metric values: it needs the "change" grant of assessment data too.
    city_a = world.user("city_a")
    grant_role(city_a, "assessment_target", DataScope.ALL)
    with pytest.raises(PermissionDenied):
        targets.targets_publish(user=city_a, period=MONTH, metric=revenue)


def test_attainment_indicator_scores_against_the_published_tiers_in_a_run(setup):
    """Two atomic indicators in attainment mode: one against the 目标 metric, one against the 冲刺
    metric; the run (services.run_start → run_execute) reads the published values like any other."""
    world, revenue, tiers = setup
    with at(CONFIG_DAY):
        a_target = services.atomic_indicator_create(name="收入目标完成率", metric=revenue, mode=ScoringMode.ATTAINMENT,
                                                    target_metric=tiers.target_metric, intervals=ATTAIN)
        a_sprint = services.atomic_indicator_create(name="收入冲刺完成率", metric=revenue, mode=ScoringMode.ATTAINMENT,
                                                    target_metric=tiers.sprint_metric, intervals=ATTAIN)
        ind = services.indicator_create(name="收入完成", components=[{"atomic": a_target, "weight": "0.5"},
                                                                    {"atomic": a_sprint, "weight": "0.5"}])
        template = services.template_create(name="目标考核", valid_from=dt.date(2026, 3, 1),
                                            valid_to=dt.date(2026, 4, 30),
                                            components=[{"indicator": ind, "weight": "1"}])
        for name in ("me", "peer"):
            services.assignment_create(template=template, subject_id=world.user(name).pk, month_from=MONTH,
                                       month_to=MONTH)
            manager_target(world, revenue, name, tiers=("100", "125", None))
        targets.targets_publish(period=MONTH, metric=revenue)
    services.metric_values_save(items=[
        {"metric": "revenue", "subject_type": "manager", "subject": world.user("me").pk, "period": MONTH,
         "value": "100"},
        {"metric": "revenue", "subject_type": "manager", "subject": world.user("peer").pk, "period": MONTH,
         "value": "90"}])
    with at(dt.date(2026, 4, 7)):
        run = services.run_start(user=None, period=MONTH, background=False)
    assert run.result_count == 2
    rows = {r.subject_label: (r.total, [(d.atomic_name, d.measure, d.score) for d in r.details.all()])
            for r in Result.objects.filter(period=MONTH, subject_type=SubjectType.MANAGER)}
    assert rows == {
        "me": (D(80), [("收入目标完成率", D(100), D(100)), ("收入冲刺完成率", D(80), D(60))]),
        "peer": (D(30), [("收入目标完成率", D(90), D(60)), ("收入冲刺完成率", D("72"), D(0))]),
    }
    # Published after the month was computed: the report names it, the results wait for a re-run.
    with at(dt.date(2026, 4, 8)):
        report = targets.targets_publish(period=MONTH, metric=revenue)
    assert report["computed"] == [MONTH]


def test_demo_targets_year_to_months_to_managers(managers):
    import random

    from kam.assessment.demo import assessment_demo, targets_demo
    from kam.assessment.models import Target
    from kam.core.demo import DemoContext
    from kam.org.models import User

    ctx = DemoContext(size="demo", rng=random.Random(1), password="x")
    with at(dt.date(2026, 4, 3)):
        assessment_demo(ctx)
        targets_demo(ctx)
        targets_demo(ctx)  # loaded once
    county = Target.objects.get(org_unit__code="K1", subject_type="unit", period="2026")
    assert (county.target_value, county.split) == (D(2400000), "months")
    march = county.children.get(period=MONTH)
    assert [(t.user.username, t.target_value, t.sprint_value, t.challenge_value) for t in march.children.all()] == [
        ("me", D(100000), D(110000), D(125000)), ("peer", D(100000), D(110000), D(125000))]
    assert Target.objects.get(org_unit__code="P", period="2026").children.count() == 2
    assert MetricValue.objects.filter(source=MetricSource.TARGET, period=MONTH).count() == 6
    root = User.objects.create_superuser(username="root", password="x", name="root")
    assert {t.subject_name for t in targets.attainment(root, MONTH)} == {"me", "peer", "一区"}
