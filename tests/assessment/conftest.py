"""Fixtures of the assessment tests: a world with account managers and a small configuration.

The configuration follows the operator manual's example: 专线收入 (private-line revenue) with the
REQUIREMENTS intervals, 拜访次数 (visits) with two intervals; 信息化收入 = revenue 0.7 + visits 0.3;
新增EC = new customers 1.0; the template weighs them 0.6 / 0.4.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine

from kam.assessment import services
from kam.assessment.models import SubjectType
from kam.org.models import Role

REVENUE_INTERVALS = [
    {"lower": 0, "lower_closed": False, "upper": 50000, "upper_closed": True, "score": 0},
    {"lower": 50000, "lower_closed": False, "upper": 60000, "upper_closed": True, "score": 10},
    {"lower": 60000, "lower_closed": False, "upper": 70000, "upper_closed": True, "score": 20},
    {"lower": 70000, "lower_closed": False, "upper": 80000, "upper_closed": True, "score": 40},
    {"lower": 80000, "lower_closed": False, "upper": 90000, "upper_closed": True, "score": 65},
    {"lower": 90000, "lower_closed": False, "upper": 100000, "upper_closed": False, "score": 90},
    {"lower": 100000, "lower_closed": True, "upper": None, "upper_closed": False, "score": 100},
]
VISIT_INTERVALS = [
    {"lower": None, "lower_closed": False, "upper": 10, "upper_closed": False, "score": 0},
    {"lower": 10, "lower_closed": True, "upper": None, "upper_closed": False, "score": 100},
]
NEW_EC_INTERVALS = [
    {"lower": None, "lower_closed": False, "upper": 0, "upper_closed": True, "score": 0},
    {"lower": 0, "lower_closed": False, "upper": 2, "upper_closed": False, "score": 50},
    {"lower": 2, "lower_closed": True, "upper": None, "upper_closed": False, "score": 100},
]

# A day outside every lock window, in the month being configured.
CONFIG_DAY = dt.datetime(2026, 3, 10, 10, 0)
MONTH = "2026-03"


def at(day: dt.date | dt.datetime, hour: int = 10):
    if isinstance(day, dt.datetime):
        return time_machine.travel(day, tick=False)
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, 0), tick=False)


def make_manager(user):
    user.roles.add(Role.objects.get(code="account_manager"))
    return user


@pytest.fixture
def managers(world):
    for name in ("me", "peer", "dept", "sub", "city_a", "other"):
        make_manager(world.user(name))
    return world


@pytest.fixture
def config(managers):
    """Metrics, atomic indicators, indicators and a template for March 2026, assigned to every
    world user (as account managers)."""
    with at(CONFIG_DAY):
        rev = services.metric_create(code="private_line_revenue", name="专线收入", unit="元")
        visits = services.metric_create(code="visits", name="拜访次数", unit="次")
        new_ec = services.metric_create(code="new_ec", name="新增EC", unit="个")
        a_rev = services.atomic_indicator_create(name="专线本月收入", metric=rev, intervals=REVENUE_INTERVALS,
                                                 domain_lower=D(0), domain_lower_closed=False)
        a_vis = services.atomic_indicator_create(name="客户拜访次数", metric=visits, intervals=VISIT_INTERVALS)
        a_ec = services.atomic_indicator_create(name="新增EC数", metric=new_ec, intervals=NEW_EC_INTERVALS)
        i_info = services.indicator_create(name="信息化收入", components=[
            {"atomic": a_rev, "weight": "0.7"}, {"atomic": a_vis, "weight": "0.3"}])
        i_ec = services.indicator_create(name="新增EC", components=[{"atomic": a_ec, "weight": "1"}])
        template = services.template_create(
            name="客户经理月度考核", valid_from=dt.date(2026, 3, 1), valid_to=dt.date(2026, 4, 30),
            components=[{"indicator": i_info, "weight": "0.6"}, {"indicator": i_ec, "weight": "0.4"}])
        for name in ("me", "peer", "dept", "sub", "city_a", "other"):
            services.assignment_create(template=template, subject_id=managers.user(name).pk, month_from=MONTH,
                                       month_to=MONTH)
    return {"metrics": (rev, visits, new_ec), "atomics": (a_rev, a_vis, a_ec), "indicators": (i_info, i_ec),
            "template": template, "world": managers}


def values_for(world, rows: dict[str, tuple], period: str = MONTH) -> list[dict]:
    """``rows``: user name -> (revenue, visits, new EC); ``None`` leaves a value out."""
    items = []
    for name, triple in rows.items():
        for code, value in zip(("private_line_revenue", "visits", "new_ec"), triple, strict=True):
            if value is not None:
                items.append({"metric": code, "subject_type": SubjectType.MANAGER,
                              "subject": world.user(name).pk, "period": period, "value": value})
    return items


ROWS_FOR_MANAGERS = {"me": (100000, 12, 3), "peer": (55000, 9, 1)}


# --- result confirmation and appeals (decision 0026) ------------------------------------------------------------


@pytest.fixture
def appeals_computed(config):
    """March computed by the automatic run (the computation day), with its people (appeals_fixtures.py)."""
    from kam.assessment import services
    from kam.assessment.models import Result
    from tests.helpers.world import make_user

    from .appeals_fixtures import COMPUTE_DAY, ROWS, SUB_TOTAL

    world = config["world"]
    services.metric_values_save(items=values_for(world, ROWS))
    world.user("me").roles.add(Role.objects.get(code="supervisor"))
    world.users["asm_admin"] = make_user("asm_admin", world.unit("province"), roles=[Role.objects.get(code="admin")])
    world.users["city_rev"] = make_user("city_rev", world.unit("city_a"),
                                        roles=[Role.objects.get(code="reviewer_city")])
    with at(COMPUTE_DAY, hour=2):
        services.assessment_compute_due()
    assert Result.objects.get(period=MONTH, subject_label="sub").total == SUB_TOTAL
    return world


@pytest.fixture
def appeals_published(appeals_computed):
    from kam.assessment import appeals

    from .appeals_fixtures import PUBLISH_DAY

    with at(PUBLISH_DAY):
        appeals.publication_create(user=appeals_computed.user("asm_admin"), period=MONTH)
    return appeals_computed
