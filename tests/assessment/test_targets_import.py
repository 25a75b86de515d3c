"""Excel import of 考核目标 (R-IMP-1; REQUIREMENTS §7 "beyond the seeds", decision 0025): rows are matched
on metric + subject + period; the result counts new targets as created, changed tiers as updated and
rows equal to the target as unchanged; "create only" refuses an existing target, "update existing"
refuses one outside the data scope (R-PERM-1)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import translation

from kam.assessment import services, targets
from kam.assessment.models import Target, TargetSubjectType
from kam.assessment.targets_exchange import TargetImportSpec
from kam.exchange.engine import run_import
from kam.exchange.specs import MODE_CREATE, MODE_UPDATE
from kam.org.models import DataScope, User
from tests.exchange.conftest import xlsx
from tests.helpers.world import grant_role

from .conftest import MONTH

pytestmark = pytest.mark.django_db

HEAD = ["指标代码", "考核对象类型", "考核对象（账号或机构代码）", "期间", "目标值", "冲刺值", "挑战值"]


@pytest.fixture
def setup(managers):
    revenue = services.metric_create(code="revenue", name="收入", unit="元", subject_types=["manager", "department"])
    for name in ("me", "peer"):
        targets.target_create(metric=revenue, subject_type=TargetSubjectType.MANAGER,
                              subject_id=managers.user(name).pk, period=MONTH, target_value="100",
                              sprint_value="120")
    targets.target_create(metric=revenue, subject_type=TargetSubjectType.UNIT, subject_id=managers.unit("city_b").pk,
                          period="2026-Q1", target_value="300")
    root = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    return managers, revenue, root


def run(user, rows, mode):
    with translation.override("zh-hans"):
        return run_import(TargetImportSpec(), user=user, data=xlsx([HEAD, *rows]), mode=mode)


def test_update_mode_counts_created_updated_and_unchanged(setup):
    world, _revenue, root = setup
    result = run(root, [
        ["revenue", "客户经理", "me", MONTH, 100, 130, None],  # 冲刺 120 → 130: updated
        ["revenue", "客户经理", "peer", MONTH, 100, 120, None],  # the same tiers: unchanged
        ["revenue", "组织机构", "CB", "2026q1", 300, None, None],  # the same (the period written another way)
        ["revenue", "客户经理", "sub", MONTH, 50, None, None],  # new: created
        ["revenue", "组织机构", "CA", "2026-Q1", 200, 250, 300],  # new: created
    ], MODE_UPDATE)
    assert result.ok, result.errors
    assert (result.total, result.created, result.updated, result.unchanged) == (5, 2, 1, 2)
    assert Target.objects.count() == 5
    assert Target.objects.get(user=world.user("me")).sprint_value == D(130)
    assert Target.objects.get(user=world.user("sub")).target_value == D(50)
    # The same file again: nothing to create or change.
    again = run(root, [["revenue", "客户经理", "me", MONTH, 100, 130, None],
                       ["revenue", "客户经理", "sub", MONTH, 50, None, None]], MODE_UPDATE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_create_mode_counts_created_and_refuses_existing(setup):
    _world, _revenue, root = setup
    result = run(root, [["revenue", "客户经理", "me", MONTH, 100, 130, None],
                        ["revenue", "客户经理", "sub", MONTH, 50, None, None]], MODE_CREATE)
    assert [(e["row"], e["column"], e["message"]) for e in result.errors] == [
        (2, "期间", f"“revenue/me/{MONTH}”已存在")]
    assert (result.created, result.updated) == (0, 0) and Target.objects.count() == 3  # nothing saved
    result = run(root, [["revenue", "客户经理", "sub", MONTH, 50, None, None],
                        ["revenue", "客户经理", "other", MONTH, 60, None, None]], MODE_CREATE)
    assert result.ok and (result.created, result.updated, result.unchanged) == (2, 0, 0)


def test_update_mode_refuses_targets_outside_the_scope_and_duplicate_rows(setup):
    world, _revenue, _root = setup
    user = world.user("city_a")  # 甲市: me and peer are below it, 乙市 is not
    grant_role(user, "assessment_target", DataScope.SUBTREE)
    result = run(user, [["revenue", "组织机构", "CB", "2026-Q1", 310, None, None]], MODE_UPDATE)
    assert [(e["column"], e["message"]) for e in result.errors] == [
        ("考核对象（账号或机构代码）", "“revenue/CB/2026-Q1”不在您的数据权限范围内")]
    assert Target.objects.get(org_unit__code="CB").target_value == D(300)
    result = run(user, [["revenue", "客户经理", "me", MONTH, 100, 125, None],
                        ["revenue", "客户经理", "me", MONTH, 100, 126, None]], MODE_UPDATE)
    assert [e["row"] for e in result.errors] == [2, 3]
    result = run(user, [["revenue", "客户经理", "me", MONTH, 100, 125, None]], MODE_UPDATE)
    assert result.ok and (result.created, result.updated) == (0, 1), result.errors
