"""Assessment services: configuration rules and the calendar (R-ASM-1…6), enforced on the server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kam.assessment import calendar as cal
from kam.assessment import services
from kam.assessment.models import Assignment, AtomicIndicator, Metric, Template

from .conftest import CONFIG_DAY, MONTH, NEW_EC_INTERVALS, REVENUE_INTERVALS, at

pytestmark = pytest.mark.django_db


def messages(exc: ValidationError) -> list[str]:
    return [m for msgs in exc.message_dict.values() for m in msgs] if hasattr(exc, "error_dict") else exc.messages


@pytest.fixture
def metric(db):
    with at(CONFIG_DAY):
        return services.metric_create(code="rev", name="专线收入", unit="元")


# --- R-ASM-1 through the service -------------------------------------------------------------------


def test_r_asm_1_requirements_example_saved_with_positions(metric):
    with at(CONFIG_DAY):
        atomic = services.atomic_indicator_create(name="专线收入", metric=metric, intervals=REVENUE_INTERVALS,
                                                  domain_lower=D(0), domain_lower_closed=False)
    texts = [iv.text() for iv in atomic.intervals.all()]
    assert texts == ["(0, 50000]", "(50000, 60000]", "(60000, 70000]", "(70000, 80000]", "(80000, 90000]",
                     "(90000, 100000)", "[100000, +∞)"]
    assert [iv.score for iv in atomic.intervals.all()] == [0, 10, 20, 40, 65, 90, 100]
    assert atomic.descending is False


def test_r_asm_1_descending_listing_is_kept(metric):
    with at(CONFIG_DAY):
        atomic = services.atomic_indicator_create(name="降序", metric=metric, intervals=REVENUE_INTERVALS[::-1],
                                                  domain_lower=D(0), domain_lower_closed=False)
    assert atomic.descending is True
    assert atomic.intervals.first().text() == "[100000, +∞)"


def test_r_asm_1_refusal_names_the_interval_and_the_problem(metric):
    rows = [dict(r) for r in REVENUE_INTERVALS]
    rows[2]["lower"] = 61000  # gap (60000, 61000]
    rows[4]["score"] = "65.555"
    with at(CONFIG_DAY), translation.override("en"), pytest.raises(ValidationError) as exc:
        services.atomic_indicator_create(name="x", metric=metric, intervals=rows, domain_lower=D(0),
                                         domain_lower_closed=False)
    assert messages(exc.value) == [
        "Interval 5: the score 65.555 has more than 2 decimals.",
        "Interval 3: the values between 60000 and 61000 are not covered (gap after interval 2).",
    ]
    rows[4]["score"] = 65
    with at(CONFIG_DAY), translation.override("en"), pytest.raises(ValidationError) as exc:
        services.atomic_indicator_create(name="x", metric=metric, intervals=rows, domain_lower=D(0),
                                         domain_lower_closed=False)
    assert messages(exc.value) == [
        "Interval 3: the values between 60000 and 61000 are not covered (gap after interval 2)."]
    assert not AtomicIndicator.objects.filter(name="x").exists()


def test_r_asm_1_without_domain_the_example_misses_values_up_to_zero(metric):
    with at(CONFIG_DAY), translation.override("en"), pytest.raises(ValidationError) as exc:
        services.atomic_indicator_create(name="x", metric=metric, intervals=REVENUE_INTERVALS)
    assert "Interval 1: (0, 50000] is the lowest interval, so values below 0 are not covered" in messages(exc.value)[0]


def test_r_asm_1_message_in_chinese_by_default(metric):
    rows = [dict(r) for r in NEW_EC_INTERVALS]
    rows[2]["score"] = 90
    with at(CONFIG_DAY), translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.atomic_indicator_create(name="x", metric=metric, intervals=rows)
    assert messages(exc.value) == ["第一个或最后一个区间的分数值必须为100（区间1或区间3）。"]


# --- R-ASM-2 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("weights", "ok"), [(("0.33", "0.33", "0.34"), True), (("0.33", "0.33", "0.33"), False),
                                             (("1",), True), (("0.9",), False), (("0.333", "0.667"), False)])
def test_r_asm_2_indicator_weights(metric, weights, ok):
    with at(CONFIG_DAY):
        atomics = [services.atomic_indicator_create(name=f"a{i}", metric=metric, intervals=NEW_EC_INTERVALS)
                   for i in range(len(weights))]
        comps = [{"atomic": a, "weight": w} for a, w in zip(atomics, weights, strict=True)]
        if ok:
            ind = services.indicator_create(name="i", components=comps)
            assert [c.weight for c in ind.components.all()] == [D(w) for w in weights]
        else:
            with pytest.raises(ValidationError) as exc:
                services.indicator_create(name="i", components=comps)
            assert "components" in exc.value.message_dict


def test_r_asm_2_template_weights_sum_message(config):
    i_info, i_ec = config["indicators"]
    with at(CONFIG_DAY), translation.override("en"), pytest.raises(ValidationError) as exc:
        services.template_create(name="t2", valid_from=dt.date(2026, 3, 1), valid_to=dt.date(2026, 4, 30),
                                 components=[{"indicator": i_info, "weight": "0.5"},
                                             {"indicator": i_ec, "weight": "0.4"}])
    assert messages(exc.value) == [
        "The weights add up to 0.9; they must add up to exactly 1 (a single assessment indicator has weight 1)."]


# --- R-ASM-5: the configuration lock --------------------------------------------------------------------


@pytest.mark.parametrize(("day", "locked"), [(1, True), (5, True), (6, False), (7, False), (15, False),
                                             (16, False), (31, False)])
def test_r_asm_5_config_lock_days(config, day, locked):
    atomic = config["atomics"][2]
    template = config["template"]
    ind = config["indicators"][1]
    actions = [
        lambda: services.atomic_indicator_update(atomic=atomic, description="x"),
        lambda: services.atomic_indicator_create(name=f"new{day}", metric=atomic.metric, intervals=NEW_EC_INTERVALS),
        lambda: services.indicator_update(indicator=ind, description="x"),
        lambda: services.template_update(template=template, description="x"),
        lambda: services.assignment_update(assignment=Assignment.objects.first(), month_to=MONTH),
    ]
    with at(dt.date(2026, 3, day)), translation.override("en"):
        for action in actions:
            if locked:
                with pytest.raises(ValidationError) as exc:
                    action()
                assert "locked from day 1 to day 5" in messages(exc.value)[0]
            else:
                action()


def test_r_asm_5_lock_reads_system_parameters(db):
    from kam.system.models import Parameter
    from kam.system.services import parameter_update

    assert cal.config_locked(dt.date(2026, 3, 5)) and not cal.config_locked(dt.date(2026, 3, 6))
    parameter_update(parameter=Parameter.objects.get(key="assessment.lock_last_day"), value=3)
    assert cal.config_locked(dt.date(2026, 3, 3)) and not cal.config_locked(dt.date(2026, 3, 4))


# --- R-ASM-3: template validity ---------------------------------------------------------------------------


def test_r_asm_3_template_valid_to_warning_and_assignment(config):
    ind = config["indicators"][1]
    world = config["world"]
    with at(CONFIG_DAY), translation.override("en"):
        short = services.template_create(name="九月模板", valid_from=dt.date(2026, 9, 1),
                                         valid_to=dt.date(2026, 9, 30), components=[{"indicator": ind, "weight": 1}])
        warning = services.template_validity_warning(short)
        assert warning == ("The results of month 2026-09 are computed on 2026-10-07, when this template is no "
                           "longer valid. Set “valid to” to 2026-10-31 (the end of the next month) to use it for "
                           "2026-09.")
        with pytest.raises(ValidationError) as exc:
            services.assignment_create(template=short, subject_id=world.user("me").pk, month_from="2026-09",
                                       month_to="2026-09")
        assert "suggested “valid to”: 2026-10-31" in messages(exc.value)[0]
        # Valid until the 6th: still not enough; the 7th is.
        services.template_update(template=short, valid_to=dt.date(2026, 10, 6))
        assert services.template_validity_warning(short)
        services.template_update(template=short, valid_to=dt.date(2026, 10, 7))
        assert services.template_validity_warning(short) == ""
        services.assignment_create(template=short, subject_id=world.user("me").pk, month_from="2026-09",
                                   month_to="2026-09")
        # Shortening the template below an assignment's computation day is refused.
        with pytest.raises(ValidationError):
            services.template_update(template=short, valid_to=dt.date(2026, 10, 6))


# --- R-ASM-4: one template per subject and month -------------------------------------------------------------


def test_r_asm_4_one_template_per_manager_and_month(config):
    world = config["world"]
    template = config["template"]
    me = world.user("me")
    with at(CONFIG_DAY), translation.override("en"):
        other = services.template_create(name="备用模板", valid_from=dt.date(2026, 3, 1), valid_to=None,
                                         components=[{"indicator": config["indicators"][1], "weight": 1}])
        with pytest.raises(ValidationError) as exc:
            services.assignment_create(template=other, subject_id=me.pk, month_from="2026-03", month_to="")
        assert "already has the template “客户经理月度考核” from 2026-03 to 2026-03" in messages(exc.value)[0]
        # The month after is free; an open-ended one then blocks every later month.
        services.assignment_create(template=other, subject_id=me.pk, month_from="2026-04", month_to="")
        with pytest.raises(ValidationError):
            services.assignment_create(template=template, subject_id=me.pk, month_from="2027-01", month_to="2027-01")
    assert Assignment.objects.filter(subject_id=me.pk).count() == 2


def test_assignment_needs_an_account_manager(config):
    world = config["world"]
    from kam.org.models import Role

    world.user("peer").roles.remove(Role.objects.get(code="account_manager"))
    with at(CONFIG_DAY), pytest.raises(ValidationError) as exc:
        services.assignment_create(template=config["template"], subject_id=world.user("peer").pk,
                                   month_from="2026-05")
    assert "subject" in exc.value.message_dict


# --- metric values ------------------------------------------------------------------------------------------


def test_metric_values_all_or_nothing_with_row_errors(config):
    world = config["world"]
    me = world.user("me").pk
    items = [
        {"metric": "visits", "subject_type": "manager", "subject": me, "period": MONTH, "value": "12"},
        {"metric": "nope", "subject_type": "manager", "subject": me, "period": MONTH, "value": "1"},
        {"metric": "visits", "subject_type": "manager", "subject": me, "period": "2026-13", "value": "x"},
        {"metric": "visits", "subject_type": "manager", "subject": me, "period": MONTH, "value": "3"},
    ]
    with translation.override("en"), pytest.raises(services.BulkValidationError) as exc:
        services.metric_values_save(items=items)
    errors = exc.value.item_errors
    assert errors[0] == {}
    assert errors[1] == {"metric": ["Unknown metric “nope”."]}
    assert set(errors[2]) == {"period", "value"}
    assert errors[3] == {"subject": ["Same metric, subject and month as row 1."]}
    assert not config["metrics"][1].values.exists()
    assert services.metric_values_save(items=[items[0]]) == 1
    assert services.metric_values_save(items=[items[3]]) == 1  # replaces
    assert [v.value for v in config["metrics"][1].values.all()] == [D(3)]


def test_percentage_metric_values_are_0_to_100(db):
    Metric.objects.create(code="churn", name="离网率", is_percentage=True)
    from kam.org.models import OrgKind, OrgUnit

    section = OrgUnit.objects.create(name="市场开拓室", code="S1", kind=OrgKind.SECTION)
    Metric.objects.filter(code="churn").update(for_section=True)
    with pytest.raises(services.BulkValidationError):
        services.metric_values_save(items=[{"metric": "churn", "subject_type": "section", "subject": section.pk,
                                            "period": MONTH, "value": "101"}])
    assert services.metric_values_save(items=[{"metric": "churn", "subject_type": "section",
                                               "subject": section.pk, "period": MONTH, "value": "50"}]) == 1


def test_template_cannot_be_deleted_while_assigned(config):
    with at(CONFIG_DAY), pytest.raises(ValidationError):
        services.template_delete(template=config["template"])
    assert Template.objects.count() == 1


def test_metric_values_outside_the_scope_save_nothing(config):
    """R-PERM-1: a supervisor ("me", scope own and subordinates) may enter values of "sub", not of "peer"."""
    from django.core.exceptions import PermissionDenied

    from kam.assessment.models import MetricValue
    from tests.helpers.world import grant_role

    world = config["world"]
    me = world.user("me")
    grant_role(me, "assessment_data", "own_sub")
    item = {"metric": "visits", "subject_type": "manager", "period": MONTH, "value": "3"}
    assert services.metric_values_save(user=me, items=[{**item, "subject": world.user("sub").pk}]) == 1
    with pytest.raises(PermissionDenied):
        services.metric_values_save(user=me, items=[{**item, "subject": world.user("me").pk},
                                                    {**item, "subject": world.user("peer").pk}])
    assert MetricValue.objects.count() == 1


def test_r_asm_4_batch_import_of_assignments_all_or_nothing(config):
    """分配模板 导入: the rules of the service apply to every row; one bad row saves nothing."""
    from kam.assessment.exchange import AssignmentImportSpec
    from kam.exchange.engine import run_import
    from kam.org.models import User
    from tests.exchange.conftest import xlsx

    world = config["world"]
    root = User.objects.create_superuser(username="root", password="x", name="root")
    with at(CONFIG_DAY):
        template = services.template_create(name="四月模板", valid_from=dt.date(2026, 3, 1),
                                            valid_to=dt.date(2026, 5, 31),
                                            components=[{"indicator": config["indicators"][1], "weight": 1}])
    rows = [["Account manager account", "Template", "From month", "To month"],
            ["me", template.name, "2026-04", "2026-04"],
            ["peer", template.name, "2026-03", ""]]  # peer already has March (R-ASM-4)
    with at(CONFIG_DAY), translation.override("en"):
        result = run_import(AssignmentImportSpec(), user=root, data=xlsx(rows))
        assert not result.ok
        assert [(e["row"], e["column"]) for e in result.errors] == [(3, "From month")]
        assert "exactly one template in a month" in result.errors[0]["message"]
        assert Assignment.objects.count() == 6
        rows[2][2] = "2026-04"
        rows[2][3] = "2026-04"
        result = run_import(AssignmentImportSpec(), user=root, data=xlsx(rows))
    assert result.ok and result.created == 2
    assert Assignment.objects.filter(month_from="2026-04", subject_id__in=[world.user("me").pk,
                                                                         world.user("peer").pk]).count() == 2


def test_metric_values_excel_import_one_column_per_metric(config):
    """指标值 导入: the BI system's monthly file, one row per manager; all rows or none."""
    from kam.assessment.exchange import MetricValueImportSpec
    from kam.assessment.models import MetricValue
    from kam.exchange.engine import run_import
    from kam.org.models import User
    from tests.exchange.conftest import xlsx

    world = config["world"]
    root = User.objects.create_superuser(username="root", password="x", name="root")
    rows = [["客户经理账号", "月份", "专线收入", "拜访次数", "新增EC"],
            ["me", "2026-03", 100000, 12, None],
            ["peer", "2026-03", 55000.5, "很多", 1]]
    with translation.override("zh-hans"):
        result = run_import(MetricValueImportSpec(), user=root, data=xlsx(rows))
    assert [(e["row"], e["column"]) for e in result.errors] == [(3, "拜访次数")]
    assert MetricValue.objects.count() == 0
    rows[2][3] = 9
    result = run_import(MetricValueImportSpec(), user=root, data=xlsx(rows))
    assert result.ok and result.created == 2
    values = {(v.metric.code, v.subject_id): v.value for v in MetricValue.objects.select_related("metric")}
    assert values == {("private_line_revenue", world.user("me").pk): D(100000),
                      ("visits", world.user("me").pk): D(12),
                      ("private_line_revenue", world.user("peer").pk): D("55000.5"),
                      ("visits", world.user("peer").pk): D(9), ("new_ec", world.user("peer").pk): D(1)}
