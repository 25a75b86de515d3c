"""Pages of 考核目标 and 目标达成 (REQUIREMENTS §7 "beyond the seeds": targets decomposed year → quarter →
month and company → branch → team → manager, with 目标/冲刺/挑战 tiers): what users see, one test per
page, Excel import/export, and the data scope of the list, detail, export and attainment pages
(R-PERM-1, R-PERM-2)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kam.assessment import services, targets
from kam.assessment.models import MetricValue, Target, TargetSubjectType
from kam.org.models import User
from tests.helpers.matrix import export_probe, page_detail_probe, page_list_probe, run_matrix

from .conftest import MONTH, at

pytestmark = pytest.mark.django_db

NAMES = ("me", "peer", "dept", "sub", "city_a", "other")
DAY = dt.date(2026, 4, 10)


@pytest.fixture
def admin(db):
    user = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(user)
    return client


@pytest.fixture
def revenue(managers):
    return services.metric_create(code="revenue", name="收入", unit="元", subject_types=["manager", "department"])


@pytest.fixture
def tree(managers, revenue):
    """某省 2026 → 甲市 / 乙市 (equal)."""
    year = targets.target_create(metric=revenue, subject_type=TargetSubjectType.UNIT,
                                 subject_id=managers.unit("province").pk, period="2026", target_value="1000",
                                 sprint_value="1200")
    cities = targets.target_decompose(target=year, split="units")
    return managers, revenue, year, cities


def manager_targets(world, metric, period=MONTH):
    return {name: targets.target_create(metric=metric, subject_type=TargetSubjectType.MANAGER,
                                        subject_id=world.user(name).pk, period=period, target_value="100",
                                        sprint_value="120", challenge_value="150") for name in NAMES}


def test_menu_lists_the_target_pages(tree, admin):
    with at(DAY):
        html = admin.get(reverse("home")).content.decode()
    for name, label in (("target_list", "考核目标"), ("target_attainment", "目标达成")):
        assert reverse(f"assessment:{name}") in html and label in html


def test_target_list_marks_the_parts_and_filters_the_top_level(tree, admin):
    _world, _revenue, year, cities = tree
    with at(DAY):
        resp = admin.get(reverse("assessment:target_list"))
        html = resp.content.decode()
        assert [t.pk for t in resp.context["page"].rows] == [year.pk, *(c.pk for c in cities)]
        assert "目标值" in html and "冲刺值" in html and "挑战值" in html
        assert "↳ <a" in html and "分解到下级机构 · 平均分解" in html
        assert "发布目标" in html and "目标发布设置" in html
        top = admin.get(reverse("assessment:target_list"), {"top": "true"})
        assert [t.pk for t in top.context["page"].rows] == [year.pk]


def test_detail_page_shows_the_chain_and_the_parts_sums(tree, admin):
    _world, _revenue, year, cities = tree
    with at(DAY):
        child = admin.get(reverse("assessment:target_detail", args=[cities[0].pk])).content.decode()
        assert "kam-target-chain" in child and "某省 · 2026" in child
        html = admin.get(reverse("assessment:target_detail", args=[year.pk])).content.decode()
        assert "甲市" in html and "乙市" in html and "子目标合计：目标值" in html and "合计不符" not in html
        assert reverse("assessment:target_decompose", args=[year.pk]) in html
        targets.target_update(target=cities[0], target_value="600", sprint_value="600")
        html = admin.get(reverse("assessment:target_detail", args=[year.pk])).content.decode()
        assert "合计不符" in html and "1100.00 / 1000.00" in html


def test_create_page_names_the_field_and_creates(revenue, managers, admin):
    url = reverse("assessment:target_create")
    data = {"metric": revenue.pk, "subject_type": "manager", "manager": managers.user("me").pk, "period": "2026-Q2",
            "target_value": "100", "sprint_value": "90", "challenge_value": ""}
    with at(DAY):
        assert admin.get(url).status_code == 200
        resp = admin.post(url, data)
        assert resp.status_code == 200
        assert resp.context["form"].errors == {"sprint_value": ["冲刺值（90）不能低于目标值（100）。"]}
        resp = admin.post(url, {**data, "manager": "", "sprint_value": "110"})
        assert resp.context["form"].errors == {"manager": ["请选择客户经理。"]}
        resp = admin.post(url, {**data, "sprint_value": "110"})
    target = Target.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("assessment:target_detail", args=[target.pk])
    assert (target.user, target.period, target.period_kind, str(target.sprint_value)) == (
        managers.user("me"), "2026-Q2", "quarter", "110.00")


def test_edit_page_changes_the_tiers(tree, admin):
    _world, _revenue, year, _cities = tree
    url = reverse("assessment:target_edit", args=[year.pk])
    with at(DAY):
        html = admin.get(url).content.decode()
        assert 'value="1000"' in html and "id_metric" not in html  # metric, subject and period are fixed
        resp = admin.post(url, {"target_value": "1000", "sprint_value": "1200", "challenge_value": "1500"})
    assert resp.status_code == 302
    year.refresh_from_db()
    assert (str(year.target_value), str(year.sprint_value), str(year.challenge_value)) == (
        "1000.00", "1200.00", "1500.00")


def test_delete_page_refuses_while_parts_exist(tree, admin):
    _world, _revenue, year, cities = tree
    with at(DAY):
        resp = admin.post(reverse("assessment:target_delete", args=[year.pk]))
        assert "该目标已分解为2个子目标，请先删除子目标。" in resp.content.decode()
        resp = admin.post(reverse("assessment:target_delete", args=[cities[1].pk]))
    assert resp.status_code == 302 and Target.objects.count() == 2


def test_decompose_page_previews_then_saves(revenue, managers, admin):
    q = targets.target_create(metric=revenue, subject_type=TargetSubjectType.UNIT,
                              subject_id=managers.unit("county_1").pk, period="2026-Q1", target_value="100.00")
    url = reverse("assessment:target_decompose", args=[q.pk])
    with at(DAY):
        html = admin.get(url, {"split": "months"}).content.decode()
        assert all(f'name="v_2026-0{m}"' in html for m in (1, 2, 3))
        resp = admin.post(url, {"split": "months", "method": "equal", "preview": "1"})
        assert [str(p.target_value) for p in resp.context["parts"]] == ["33.33", "33.33", "33.34"]
        assert "33.34" in resp.content.decode() and not q.children.exists()
        resp = admin.post(url, {"split": "months", "method": "shares", "v_2026-01": "30", "v_2026-02": "30",
                                "v_2026-03": "39", "save": "1"})
        assert "各部分比例合计为99%，不等于100%。" in resp.content.decode() and not q.children.exists()
        resp = admin.post(url, {"split": "months", "method": "shares", "v_2026-01": "30", "v_2026-02": "30",
                                "v_2026-03": "40", "save": "1"})
        assert resp.status_code == 302
        assert [str(c.target_value) for c in q.children.order_by("period")] == ["30.00", "30.00", "40.00"]
        html = admin.get(url, {"split": "managers"}).content.decode()
        assert "保存后将替换此前分解的3个子目标。" in html and "me" in html and "peer" in html


def test_publish_settings_and_publish_pages(revenue, managers, admin):
    with at(DAY):
        resp = admin.post(reverse("assessment:target_tiers_create"), {"metric": revenue.pk, "create_missing": "on"})
        assert resp.status_code == 302
        html = admin.get(reverse("assessment:target_tiers_list")).content.decode()
        assert "收入目标值" in html and "收入冲刺值" in html and "收入挑战值" in html
        manager_targets(managers, revenue)
        assert admin.get(reverse("assessment:target_publish")).status_code == 200
        resp = admin.post(reverse("assessment:target_publish"), {"period": MONTH, "metric": revenue.pk}, follow=True)
    html = resp.content.decode()
    assert "已发布2026-03的18个目标值，删除0个。" in html and "kam-publish-report" in html
    assert MetricValue.objects.filter(source="target").count() == 18


def test_attainment_page_tiers_filter_and_export(revenue, managers, admin):
    from python_calamine import CalamineWorkbook

    manager_targets(managers, revenue)
    services.metric_values_save(items=[{"metric": "revenue", "subject_type": "manager",
                                        "subject": managers.user(n).pk, "period": MONTH, "value": v}
                                       for n, v in (("me", "120"), ("peer", "150"), ("sub", "99"))])
    url = reverse("assessment:target_attainment")
    with at(DAY):  # last month (2026-03) by default
        resp = admin.get(url)
        html = resp.content.decode()
        assert len(resp.context["page"].rows) == 6
        assert "达成冲刺" in html and "达成挑战" in html and "未达标" in html and "120.00%" in html
        resp = admin.get(url, {"period": MONTH, "tier": "sprint"})
        assert [t.subject_name for t in resp.context["page"].rows] == ["me"]
        export = admin.get(url, {"period": MONTH, "tier": "challenge", "export": "xlsx"})
    body = b"".join(export.streaming_content) if export.streaming else export.content
    rows = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    assert rows[0][:3] == ["ID", "期间", "数据源指标"] and "达成档位" in rows[0]
    assert [(r[3], r[-1]) for r in rows[1:]] == [("peer", "达成挑战")]


def test_targets_excel_export_and_import(tree, managers, revenue):
    from kam.assessment.targets_exchange import TargetImportSpec
    from kam.exchange.engine import run_import
    from kam.exchange.specs import MODE_UPDATE
    from tests.exchange.conftest import xlsx

    root = User.objects.create_superuser(username="root2", password="x", name="root")
    rows = [["指标代码", "考核对象类型", "考核对象（账号或机构代码）", "期间", "目标值", "冲刺值", "挑战值"],
            ["revenue", "客户经理", "me", "2026-03", 100, 120, None],
            ["revenue", "组织机构", "K1", "2026-Q1", 300, 250, None],
            ["revenue", "组织机构", "CA", "2026", 1, None, None]]
    with translation.override("zh-hans"):
        result = run_import(TargetImportSpec(), user=root, data=xlsx(rows))
        assert [(e["row"], e["column"]) for e in result.errors] == [(3, "冲刺值"), (4, "期间")]
        assert "冲刺值（250）不能低于目标值（300）。" in result.errors[0]["message"]
        rows[2][5] = 350
        rows[3][4] = 600  # update 甲市 2026 (decomposed from 某省)
        result = run_import(TargetImportSpec(), user=root, data=xlsx(rows), mode=MODE_UPDATE)
    assert result.ok, result.errors
    assert Target.objects.get(org_unit__code="CA", period="2026").target_value == 600
    assert Target.objects.get(user__username="me").sprint_value == 120


# --- data scope ---------------------------------------------------------------------------------------------


def test_r_perm_2_target_pages_and_exports_matrix(revenue, managers):
    records = manager_targets(managers, revenue)
    with at(DAY):
        run_matrix(managers, "assessment_target", records, [
            page_list_probe(reverse("assessment:target_list")),
            page_detail_probe(lambda o: reverse("assessment:target_detail", args=[o.pk])),
            export_probe(reverse("assessment:target_list") + "?export=xlsx"),
            page_list_probe(reverse("assessment:target_attainment"), {"period": MONTH}),
            export_probe(reverse("assessment:target_attainment") + f"?period={MONTH}&export=xlsx"),
        ])


def test_list_and_attainment_query_counts_do_not_grow_with_rows(revenue, managers, admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url, params):
        with at(DAY), CaptureQueriesContext(connection) as ctx:
            assert admin.get(url, params).status_code == 200
        return len(ctx.captured_queries)

    county = targets.target_create(metric=revenue, subject_type=TargetSubjectType.UNIT,
                                   subject_id=managers.unit("county_1").pk, period=MONTH, target_value="100")
    targets.target_decompose(target=county, split="managers")
    urls = ((reverse("assessment:target_list"), {}), (reverse("assessment:target_attainment"), {"period": MONTH}))
    few = [count(u, p) for u, p in urls]
    manager_targets(managers, revenue, period="2026-Q1")
    manager_targets(managers, revenue, period=MONTH.replace("03", "02"))
    for name in ("sub", "city_a", "other"):
        targets.target_create(metric=revenue, subject_type=TargetSubjectType.MANAGER,
                              subject_id=managers.user(name).pk, period=MONTH, target_value="1")
    assert [count(u, p) for u, p in urls] == few
