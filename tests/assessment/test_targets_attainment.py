"""目标达成 (REQUIREMENTS §7 "beyond the seeds": targets with 目标/冲刺/挑战 tiers): per subject the
actual, each tier with its attainment % and the tier reached — a value exactly on a tier reaches it;
quarters and years sum their months; a unit's actual is its own value or its managers'."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kam.assessment import services, targets
from kam.assessment.models import TargetSubjectType
from kam.assessment.targets_filtersets import TargetAttainmentFilterSet
from kam.org.models import User

from .conftest import MONTH

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)


@pytest.fixture
def march(managers):
    world = managers
    revenue = services.metric_create(code="revenue", name="收入", unit="元", subject_types=["manager", "department"])
    for name in ("me", "peer", "sub", "city_a"):
        targets.target_create(metric=revenue, subject_type=TargetSubjectType.MANAGER, subject_id=world.user(name).pk,
                              period=MONTH, target_value="100", sprint_value="120", challenge_value="150")
    targets.target_create(metric=revenue, subject_type=TargetSubjectType.MANAGER, subject_id=world.user("other").pk,
                          period=MONTH, target_value="100")
    targets.target_create(metric=revenue, subject_type=TargetSubjectType.UNIT, subject_id=world.unit("dept").pk,
                          period=MONTH, target_value="50", sprint_value="60")
    targets.target_create(metric=revenue, subject_type=TargetSubjectType.UNIT, subject_id=world.unit("county_1").pk,
                          period=MONTH, target_value="200", sprint_value="250", challenge_value="300")
    items = [{"metric": "revenue", "subject_type": "manager", "subject": world.user(n).pk, "period": MONTH,
              "value": v} for n, v in (("me", "120"), ("peer", "150"), ("sub", "99.99"), ("city_a", "100"),
                                       ("dept", "30"))]
    items.append({"metric": "revenue", "subject_type": "department", "subject": world.unit("dept").pk,
                  "period": MONTH, "value": "55"})
    services.metric_values_save(items=items)
    return world, revenue


def rows(qs):
    return {t.subject_name: (t.actual, t.tier_reached) for t in qs}


def test_tier_reached_on_the_boundaries(march, admin):
    assert rows(targets.attainment(admin, MONTH)) == {
        "me": (D(120), "sprint"),  # exactly the sprint value
        "peer": (D(150), "challenge"),  # exactly the challenge value
        "sub": (D("99.99"), "none"),  # a cent below the target
        "city_a": (D(100), "target"),  # exactly the target
        "other": (None, "none"),  # no value
        "营销部": (D(55), "target"),  # a department: its own value
        "一区": (D(300), "challenge"),  # a county: its managers' values (me, peer, dept's manager)
    }


def test_attainment_percentages(march, admin):
    me = targets.attainment(admin, MONTH).get(user__username="me")
    assert [targets.attainment_pct(me.actual, v) for v in (me.target_value, me.sprint_value, me.challenge_value)] == [
        D("120.00"), D("100.00"), D("80.00")]
    assert targets.attainment_pct(None, D(100)) is None and targets.attainment_pct(D(5), None) is None
    assert targets.tier_label("sprint") in ("达成冲刺", "Sprint reached")


def test_quarter_sums_its_months_exactly(march, admin):
    world, revenue = march
    targets.target_create(metric=revenue, subject_type=TargetSubjectType.MANAGER, subject_id=world.user("me").pk,
                          period="2026-Q1", target_value="100.00", sprint_value="100.01")
    services.metric_values_save(items=[
        {"metric": "revenue", "subject_type": "manager", "subject": world.user("me").pk, "period": p, "value": v}
        for p, v in (("2026-01", "33.33"), ("2026-02", "33.33"))])
    # March already holds 120 for me: 33.33 + 33.33 + 120 = 186.66.
    assert rows(targets.attainment(admin, "2026-Q1")) == {"me": (D("186.66"), "sprint")}
    services.metric_values_save(items=[{"metric": "revenue", "subject_type": "manager",
                                         "subject": world.user("me").pk, "period": MONTH, "value": "33.34"}])
    assert rows(targets.attainment(admin, "2026-Q1")) == {"me": (D("100.00"), "target")}


def test_filters_tier_metric_unit_and_default_period(march, admin):
    world, _revenue = march

    def names(params):
        fs = TargetAttainmentFilterSet(params, queryset=targets.Target.objects.restrict(admin, "view"))
        return sorted(t.subject_name for t in fs.qs)

    assert names({"period": MONTH, "tier": "none"}) == ["other", "sub"]
    assert names({"period": MONTH, "tier": "challenge"}) == ["peer", "一区"]
    assert names({"period": MONTH, "org": world.unit("county_1").pk}) == ["me", "peer", "一区", "营销部"]
    assert names({"period": MONTH, "subject_type": "unit"}) == ["一区", "营销部"]
    assert names({"period": "2026-04"}) == []
    import time_machine

    with time_machine.travel("2026-04-10 10:00", tick=False):
        assert len(names({})) == 7  # last month by default
