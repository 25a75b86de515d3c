"""Sections and departments as subjects, completion-rate scoring, the monthly periodic job and the
set-based computation (query count independent of the number of subjects)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kam.assessment import services
from kam.assessment.models import MissingPolicy, Result, ScoringMode, SubjectType
from kam.org.models import OrgKind
from kam.org.services import org_unit_create

from .conftest import CONFIG_DAY, MONTH, ROWS_FOR_MANAGERS, at, make_manager, values_for

pytestmark = pytest.mark.django_db

ATTAIN = [  # completion rate in %
    {"lower": None, "lower_closed": False, "upper": 80, "upper_closed": False, "score": 0},
    {"lower": 80, "lower_closed": True, "upper": 100, "upper_closed": False, "score": 60},
    {"lower": 100, "lower_closed": True, "upper": None, "upper_closed": False, "score": 100},
]


def test_sections_are_assessed_with_their_own_template(world):
    """5.2: 部门的考核、室的考核、员工的考核 — a section with a completion-rate indicator."""
    section = org_unit_create(name="市场开拓室", code="S-MK", parent=world.unit("county_1"), kind=OrgKind.SECTION)
    other = org_unit_create(name="市场规划室", code="S-GH", parent=world.unit("county_1"), kind=OrgKind.SECTION)
    with at(CONFIG_DAY):
        revenue = services.metric_create(code="sec_revenue", name="室收入", subject_types=["section"])
        target = services.metric_create(code="sec_target", name="室收入目标", subject_types=["section"])
        atomic = services.atomic_indicator_create(name="室收入完成率", metric=revenue, mode=ScoringMode.ATTAINMENT,
                                                  target_metric=target, intervals=ATTAIN,
                                                  missing_policy=MissingPolicy.BLOCK)
        ind = services.indicator_create(name="室收入完成", components=[{"atomic": atomic, "weight": "1"}])
        template = services.template_create(name="室考核模板", subject_type=SubjectType.SECTION,
                                            valid_from=dt.date(2026, 3, 1), valid_to=dt.date(2026, 4, 30),
                                            components=[{"indicator": ind, "weight": "1"}])
        for unit in (section, other):
            services.assignment_create(template=template, subject_id=unit.pk, month_from=MONTH)
    services.metric_values_save(items=[
        {"metric": "sec_revenue", "subject_type": "section", "subject": section.pk, "period": MONTH, "value": "90"},
        {"metric": "sec_target", "subject_type": "section", "subject": section.pk, "period": MONTH, "value": "100"},
        {"metric": "sec_revenue", "subject_type": "section", "subject": other.pk, "period": MONTH, "value": "50"},
    ])
    with at(dt.date(2026, 4, 7)):
        run = services.run_start(user=None, period=MONTH, background=False)
    mine = Result.objects.get(subject_type=SubjectType.SECTION, subject_id=section.pk)
    assert (mine.subject_label, mine.org_unit, mine.user, mine.total) == ("市场开拓室", section, None, D(60))
    detail = mine.details.get()
    assert (detail.value, detail.measure, detail.interval_text) == (D(90), D(90), "[80, 100)")
    held = Result.objects.get(subject_type=SubjectType.SECTION, subject_id=other.pk)
    assert held.total is None  # no target: held (policy "block")
    assert run.report["missing_values"][0]["no_target_count"] == 1


def test_a_metric_for_managers_refuses_section_values(world):
    section = org_unit_create(name="室", code="S-X", parent=world.unit("county_1"), kind=OrgKind.SECTION)
    services.metric_create(code="m", name="经理指标")
    with pytest.raises(services.BulkValidationError) as exc:
        services.metric_values_save(items=[{"metric": "m", "subject_type": "section", "subject": section.pk,
                                            "period": MONTH, "value": "1"}])
    assert "subject_type" in exc.value.item_errors[0]


def test_monthly_computation_is_a_registered_periodic_job(db):
    from kam.jobs.models import ScheduledJob
    from kam.jobs.scheduler import PERIODIC, sync_periodic

    assert PERIODIC["assessment.compute"].func_path == "kam.assessment.services.assessment_compute_due"
    sync_periodic()
    assert ScheduledJob.objects.filter(code="assessment.compute").exists()


def _run_queries(period: str = MONTH) -> int:
    with at(dt.date(2026, 4, 7)), CaptureQueriesContext(connection) as ctx:
        services.run_start(user=None, period=period, background=False, refresh_config=True)
    return len(ctx.captured_queries)


def test_computation_is_set_based(config):
    """The number of queries of a run does not grow with the number of subjects."""
    world = config["world"]
    services.metric_values_save(items=values_for(world, ROWS_FOR_MANAGERS))
    _run_queries()  # the month's first run
    small = _run_queries()
    from tests.helpers.world import make_user

    with at(CONFIG_DAY):
        for i in range(20):
            user = make_manager(make_user(f"extra{i}", world.unit("county_2")))
            services.assignment_create(template=config["template"], subject_id=user.pk, month_from=MONTH,
                                       month_to=MONTH)
            services.metric_values_save(items=[{"metric": "new_ec", "subject_type": "manager", "subject": user.pk,
                                                "period": MONTH, "value": 1}])
    assert Result.objects.count() == 6
    large = _run_queries()
    assert Result.objects.count() == 26
    assert large == small
