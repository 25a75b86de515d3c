"""Assessment targets (REQUIREMENTS §7 "beyond the seeds": targets per subject decomposed year →
quarter → month and company → branch → team → manager, with 目标/冲刺/挑战 tiers): the services —
tiers checked with messages naming the field, exact decomposition in time and over the org tree,
re-decomposition replacing or refusing, deletion and the data scope (R-PERM-1)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kam.assessment import services, targets
from kam.assessment.models import Target, TargetSubjectType
from kam.org.models import DataScope
from tests.helpers.world import grant_role

pytestmark = pytest.mark.django_db

UNIT, MANAGER = TargetSubjectType.UNIT, TargetSubjectType.MANAGER


@pytest.fixture
def revenue(managers):
    return services.metric_create(code="revenue", name="收入", unit="元", subject_types=["manager", "department"])


def unit_target(world, metric, unit="province", period="2026", tiers=("1200", "1500", "1800")):
    return targets.target_create(metric=metric, subject_type=UNIT, subject_id=world.unit(unit).pk, period=period,
                                 target_value=tiers[0], sprint_value=tiers[1], challenge_value=tiers[2])


def tiers_of(qs):
    return [(t.period if t.subject_type == UNIT and t.parent and t.parent.subject_id == t.subject_id
             else t.subject_name, t.target_value, t.sprint_value, t.challenge_value) for t in qs]


# --- tiers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tiers", "field", "message"), [
    (("100", "90", None), "sprint_value", "The sprint value (90) may not be below the target value (100)."),
    (("100", "120", "110"), "challenge_value", "The challenge value (110) may not be below the sprint value (120)."),
    (("100", None, "150"), "challenge_value", "Give the sprint value before the challenge value."),
    (("100.001", None, None), "target_value", "Target value: at most 2 decimals."),
    (("abc", None, None), "target_value", "Target value: “abc” is not a number."),
    (("-1", None, None), "target_value", "Target value may not be negative."),
    (("", None, None), "target_value", "Enter the target value."),
])
def test_tiers_refused_with_a_message_naming_the_field(world, revenue, tiers, field, message):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        unit_target(world, revenue, tiers=tiers)
    assert exc.value.message_dict == {field: [message]}
    assert not Target.objects.exists()


def test_tier_message_in_chinese(world, revenue):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        unit_target(world, revenue, tiers=("100", "90", None))
    assert exc.value.message_dict["sprint_value"] == ["冲刺值（90）不能低于目标值（100）。"]


def test_period_and_uniqueness(world, revenue):
    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            unit_target(world, revenue, period="2026-3")
        assert "Enter a year (2026), a quarter (2026-Q1) or a month (2026-03)." in exc.value.message_dict["period"]
        t = unit_target(world, revenue, period="2026q1")
        assert (t.period, t.period_kind) == ("2026-Q1", "quarter")
        with pytest.raises(ValidationError) as exc:
            unit_target(world, revenue, period="2026-Q1")
        assert exc.value.message_dict["period"] == ["“某省” already has a target of “收入” for 2026-Q1."]


def test_subject_must_be_an_account_manager_or_a_unit(world, revenue):
    from kam.org.models import Role

    world.user("peer").roles.remove(Role.objects.get(code="account_manager"))
    cases = (
        (MANAGER, world.user("peer").pk, "subject", f"{world.user('peer').pk} is not an account manager."),
        (MANAGER, "x", "subject", "Give the subject's id as a number."),
        (UNIT, 999999, "subject", "999999 is not an organisation unit."),
        ("team", world.unit("county_1").pk, "subject_type", "Unknown subject type “team”."),
    )
    for subject_type, subject_id, field, message in cases:
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            targets.target_create(metric=revenue, subject_type=subject_type, subject_id=subject_id, period="2026",
                                  target_value="1")
        assert exc.value.message_dict == {field: [message]}
    t = targets.target_create(metric=revenue, subject_type=MANAGER, subject_id=str(world.user("me").pk),
                              period="2026", target_value="1")
    assert (t.user, t.org_unit, t.subject_id) == (world.user("me"), world.unit("county_1"), world.user("me").pk)
    assert not Target.objects.exclude(pk=t.pk).exists()


# --- decomposition in time ------------------------------------------------------------------------------------


def test_quarter_into_months_equal_is_exact(world, revenue):
    q = unit_target(world, revenue, period="2026-Q1", tiers=("100.00", "120", "150"))
    parts = targets.target_decompose(target=q, split="months")
    assert [(p.period, p.target_value, p.sprint_value, p.challenge_value) for p in parts] == [
        ("2026-01", D("33.33"), D("40.00"), D("50.00")),
        ("2026-02", D("33.33"), D("40.00"), D("50.00")),
        ("2026-03", D("33.34"), D("40.00"), D("50.00")),
    ]
    assert all(p.parent_id == q.pk and p.subject_id == q.subject_id for p in parts)
    q.refresh_from_db()
    assert (q.split, q.split_method) == ("months", "equal")


def test_year_into_quarters_by_shares(world, revenue):
    year = unit_target(world, revenue)
    parts = targets.target_decompose(target=year, split="quarters", method="shares",
                                     values={"2026-Q1": "10", "2026-Q2": "20", "2026-Q3": "30", "2026-Q4": "40"})
    assert [(p.period, p.target_value, p.sprint_value, p.challenge_value) for p in parts] == [
        ("2026-Q1", D(120), D(150), D(180)), ("2026-Q2", D(240), D(300), D(360)),
        ("2026-Q3", D(360), D(450), D(540)), ("2026-Q4", D(480), D(600), D(720))]


@pytest.mark.parametrize(("values", "message"), [
    ({"2026-Q1": "10", "2026-Q2": "20", "2026-Q3": "30", "2026-Q4": "39.99"},
     "The shares add up to 99.99%, not 100%."),
    ({"2026-Q1": "10", "2026-Q2": "20", "2026-Q3": "30"}, "Give the share of 2026-Q4."),
    ({"2026-Q1": "x", "2026-Q2": "20", "2026-Q3": "30", "2026-Q4": "50"}, "2026-Q1: “x” is not a number."),
    ({"2026-Q1": "10.001", "2026-Q2": "20", "2026-Q3": "30", "2026-Q4": "40"}, "2026-Q1: at most 2 decimals."),
    ({"2026-Q1": "120", "2026-Q2": "-20", "2026-Q3": "0", "2026-Q4": "0"}, "2026-Q1: a share is from 0 to 100 (%)."),
])
def test_shares_not_adding_up_to_100_refused(world, revenue, values, message):
    year = unit_target(world, revenue)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        targets.target_decompose(target=year, split="quarters", method="shares", values=values)
    assert message in exc.value.message_dict["values"]
    assert not year.children.exists()


def test_split_that_does_not_apply_is_refused(world, revenue):
    month = unit_target(world, revenue, period="2026-03")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        targets.target_decompose(target=month, split="months")
    assert exc.value.message_dict["split"] == ["A target of 2026-03 cannot be decomposed into months."]
    assert [c for c, _label in targets.split_choices(month)] == ["units", "managers"]


# --- decomposition over the org tree ----------------------------------------------------------------------------


def test_unit_to_child_units_equal_and_by_amounts(world, revenue):
    province = unit_target(world, revenue, tiers=("1000.01", "1200", None))
    parts = targets.target_decompose(target=province, split="units")
    assert [(p.subject_name, p.subject_type, p.target_value, p.sprint_value, p.challenge_value) for p in parts] == [
        ("甲市", UNIT, D("500.00"), D(600), None), ("乙市", UNIT, D("500.01"), D(600), None)]
    # Amounts add up to the target value; the sprint follows the same proportions.
    parts = targets.target_decompose(target=province, split="units", method="amounts",
                                     values={str(world.unit("city_a").pk): "750.01",
                                             str(world.unit("city_b").pk): "250"})
    assert [(p.target_value, p.sprint_value) for p in parts] == [(D("750.01"), D("900.00")), (D(250), D("300.00"))]
    assert Target.objects.filter(parent=province).count() == 2  # replaced, not added
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        targets.target_decompose(target=province, split="units", method="amounts",
                                 values={str(world.unit("city_a").pk): "750", str(world.unit("city_b").pk): "250"})
    assert exc.value.message_dict["values"] == ["The amounts add up to 1000, not the target value 1000.01."]


def test_unit_to_its_account_managers(world, revenue):
    county = unit_target(world, revenue, unit="county_1", period="2026-03", tiers=("90", "100", "110"))
    parts = targets.target_decompose(target=county, split="managers")
    # me and peer work directly in 一区 (dept works in its department, below it).
    assert [(p.subject_type, p.user.username, p.org_unit_id, p.target_value, p.sprint_value, p.challenge_value)
            for p in parts] == [(MANAGER, "me", world.unit("county_1").pk, D(45), D(50), D(55)),
                                (MANAGER, "peer", world.unit("county_1").pk, D(45), D(50), D(55))]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        targets.target_decompose(target=parts[0], split="units")
    assert exc.value.message_dict["split"] == [
        "Only an organisation unit's target is decomposed to units or account managers."]


def test_company_to_manager_chain_year_to_month(world, revenue):
    """company → branch → team → manager and year → quarter → month, each level exact."""
    year = unit_target(world, revenue, tiers=("2400", None, None))
    cities = targets.target_decompose(target=year, split="units")
    city_a = cities[0]
    counties = targets.target_decompose(target=city_a, split="units")
    county_1 = counties[0]
    quarters = targets.target_decompose(target=county_1, split="quarters")
    q1 = quarters[0]
    months = targets.target_decompose(target=q1, split="months")
    march = months[2]
    managers = targets.target_decompose(target=march, split="managers")
    assert [t.target_value for t in (city_a, county_1, q1, march)] == [D(1200), D(600), D(150), D(50)]
    assert [(m.user.username, m.period, m.target_value) for m in managers] == [
        ("me", "2026-03", D(25)), ("peer", "2026-03", D(25))]


# --- re-decomposition, deletion ----------------------------------------------------------------------------------


def test_re_decompose_replaces_the_parts_unless_one_is_decomposed(world, revenue):
    year = unit_target(world, revenue, unit="county_1")
    targets.target_decompose(target=year, split="quarters")
    parts = targets.target_decompose(target=year, split="months")
    assert [p.period for p in year.children.order_by("period")] == [p.period for p in parts]
    assert len(parts) == 12
    targets.target_decompose(target=parts[0], split="managers")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        targets.target_decompose(target=year, split="quarters")
    assert exc.value.message_dict["split"] == [
        "The part “一区 · 2026-01” has been decomposed further: delete its own parts first, then decompose this "
        "target again."]
    assert year.children.count() == 12


def test_decompose_refuses_a_clash_with_an_independent_target(world, revenue):
    q = unit_target(world, revenue, unit="county_1", period="2026-Q1")
    unit_target(world, revenue, unit="county_1", period="2026-02", tiers=("5", None, None))
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        targets.target_decompose(target=q, split="months")
    assert exc.value.message_dict["split"] == [
        "“一区” already has a target of this metric for 2026-02 that was not decomposed from this one: delete it "
        "first."]
    assert not q.children.exists()


def test_delete_refused_while_parts_exist(world, revenue):
    q = unit_target(world, revenue, period="2026-Q1")
    parts = targets.target_decompose(target=q, split="months")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        targets.target_delete(target=q)
    assert exc.value.messages == ["The target has been decomposed into 3 parts: delete them first."]
    for p in parts:
        targets.target_delete(target=p)
    q.refresh_from_db()
    assert q.split == "" and not q.children.exists()
    targets.target_delete(target=q)
    assert not Target.objects.exists()


def test_edit_changes_tiers_only(world, revenue):
    t = unit_target(world, revenue, period="2026-03")
    t = targets.target_update(target=t, target_value="10", sprint_value="12.5", challenge_value="")
    assert (t.target_value, t.sprint_value, t.challenge_value) == (D(10), D("12.5"), None)


# --- data scope (R-PERM-1) -------------------------------------------------------------------------------------


def test_a_user_decomposes_only_targets_within_the_change_scope(world, revenue):
    me = world.user("me")
    grant_role(me, "assessment_target", DataScope.SUBTREE)  # 一区 and below
    province = unit_target(world, revenue)
    county = unit_target(world, revenue, unit="county_1")
    with pytest.raises(PermissionDenied):
        targets.target_decompose(user=me, target=province, split="units")
    parts = targets.target_decompose(user=me, target=county, split="quarters")
    assert len(parts) == 4 and parts[0].created_by == me
    with pytest.raises(PermissionDenied):
        targets.target_create(user=me, metric=revenue, subject_type=UNIT, subject_id=world.unit("city_b").pk,
                              period="2026", target_value="1")
    grant_role(world.user("peer"), "assessment_target", DataScope.ALL, actions=("view",))
    with pytest.raises(PermissionDenied):
        targets.target_decompose(user=world.user("peer"), target=county, split="months")
