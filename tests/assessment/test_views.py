"""Pages of 绩效考核 under KPI管理: what users see, and the data scope of the result pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from kam.assessment import services
from kam.assessment.models import Adjustment, AssessmentRun, AtomicIndicator, Result, ScoreDetail, Template
from kam.org.models import User
from tests.helpers.matrix import page_detail_probe, page_list_probe, run_matrix

from .conftest import CONFIG_DAY, MONTH, at, values_for
from .test_runs import ROWS

pytestmark = pytest.mark.django_db

NAMES = ("me", "peer", "dept", "sub", "city_a", "other")


@pytest.fixture
def computed(config):
    services.metric_values_save(items=values_for(config["world"], ROWS))
    with at(dt.date(2026, 4, 7)):
        services.run_start(user=None, period=MONTH, background=False)
    return config


@pytest.fixture
def admin(db):
    user = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(user)
    return client


MENU = ["metric_list", "atomic_list", "indicator_list", "template_list", "assignment_list", "what_if", "run_list",
        "adjustment_list", "bonus_list", "note_list", "detail_list", "result_list"]
LABELS = ["数据源指标", "原子指标", "考核指标", "考核模板", "分配模板", "试算", "考核计算", "考核分数调整管理",
          "加分项", "非KPI考核信息", "考核明细查询", "考核结果查询"]


def test_kpi_menu_lists_every_assessment_page(computed, admin):
    with at(dt.date(2026, 4, 10)):
        html = admin.get(reverse("home")).content.decode()
        for name, label in zip(MENU, LABELS, strict=True):
            assert reverse(f"assessment:{name}") in html
            assert label in html
            resp = admin.get(reverse(f"assessment:{name}"))
            assert resp.status_code == 200, name


def test_r_asm_5_lock_notice_on_the_config_pages(config, admin):
    with at(dt.date(2026, 4, 3)):
        html = admin.get(reverse("assessment:atomic_list")).content.decode()
    assert "每月1日至5日为绩效考核配置锁定期" in html
    with at(dt.date(2026, 4, 6)):
        assert "锁定期" not in admin.get(reverse("assessment:atomic_list")).content.decode()


def test_r_asm_1_atomic_indicator_page_names_the_interval(config, admin):
    metric = config["metrics"][0]
    data = {"name": "页面原子指标", "metric": metric.pk, "mode": "interval", "missing_policy": "zero",
            "iv-TOTAL_FORMS": "10", "iv-INITIAL_FORMS": "0", "iv-MIN_NUM_FORMS": "10", "iv-MAX_NUM_FORMS": "50"}
    rows = [("", "", "0", "on", "0"), ("0", "", "10", "on", "50"), ("20", "", "", "", "100")]
    for i, (lo, lc, hi, hc, sc) in enumerate(rows):
        data.update({f"iv-{i}-lower": lo, f"iv-{i}-upper": hi, f"iv-{i}-score": sc})
        if lc:
            data[f"iv-{i}-lower_closed"] = "on"
        if hc:
            data[f"iv-{i}-upper_closed"] = "on"
    with at(CONFIG_DAY):
        resp = admin.post(reverse("assessment:atomic_create"), data)
        assert resp.status_code == 200
        assert "区间3：10到20之间的数值未被覆盖（区间2之后有空档）。" in resp.content.decode()
        data["iv-2-lower"] = "10"
        resp = admin.post(reverse("assessment:atomic_create"), data)
        atomic = AtomicIndicator.objects.get(name="页面原子指标")
        assert resp.status_code == 302 and resp["Location"] == reverse("assessment:atomic_detail", args=[atomic.pk])
        html = admin.get(resp["Location"]).content.decode()
    assert "(−∞, 0]" in html and "(0, 10]" in html and "(10, +∞)" in html


def test_template_page_warns_about_the_computation_day(config, admin):
    i_info, i_ec = config["indicators"]
    data = {"name": "九月模板", "subject_type": "manager", "valid_from": "2026-09-01", "valid_to": "2026-09-30",
            "enabled": "on", "c-TOTAL_FORMS": "8", "c-INITIAL_FORMS": "0", "c-MIN_NUM_FORMS": "8",
            "c-MAX_NUM_FORMS": "50", "c-0-item": i_info.pk, "c-0-weight": "0.5", "c-1-item": i_ec.pk,
            "c-1-weight": "0.4"}
    with at(CONFIG_DAY):
        resp = admin.post(reverse("assessment:template_create"), data)
        assert "权重之和为0.9，必须恰好为1" in resp.content.decode()
        data["c-1-weight"] = "0.5"
        resp = admin.post(reverse("assessment:template_create"), data, follow=True)
    html = resp.content.decode()
    assert "请将“失效时间”设为2026-10-31（次月月底）" in html
    template = Template.objects.get(name="九月模板")
    assert [(c.indicator_id, str(c.weight)) for c in template.components.all()] == [
        (i_info.pk, "0.50"), (i_ec.pk, "0.50")]


def test_result_scorecard_explains_the_total(computed, admin):
    world = computed["world"]
    result = Result.objects.get(period=MONTH, subject_id=world.user("sub").pk)
    html = admin.get(reverse("assessment:result_detail", args=[result.pk])).content.decode()
    for text in ("考核成绩单 2026-03", "专线本月收入", "(80000, 90000]", "45.50", "[10, +∞)", "45.30"):
        assert text in html, text



def test_run_start_page(config, admin):
    services.metric_values_save(items=values_for(config["world"], ROWS))
    with at(dt.date(2026, 4, 7)):
        resp = admin.post(reverse("assessment:run_create"), {"period": "2026-04"})
        assert "2026-04尚未结束" in resp.content.decode()
        resp = admin.post(reverse("assessment:run_create"), {"period": MONTH})
        run = AssessmentRun.objects.get()
        assert resp.status_code == 302 and run.job_id
        from kam.jobs.services import execute_job

        execute_job(run.job_id)
        resp = admin.get(reverse("assessment:run_detail", args=[run.pk]))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "6个考核对象" in html and "专线本月收入" in html


def test_adjustment_page_window(computed, admin):
    result = Result.objects.get(period=MONTH, subject_label="peer")
    with at(dt.date(2026, 4, 16)):
        resp = admin.post(reverse("assessment:adjustment_create"), {"result": result.pk, "delta": "1", "reason": "r"})
        assert "只能在每月1日至15日之间调整上月的考核分数" in resp.content.decode()
    with at(dt.date(2026, 4, 15)):
        resp = admin.post(reverse("assessment:adjustment_create"), {"result": result.pk, "delta": "-4.2",
                                                                    "reason": "客户投诉"})
    assert resp.status_code == 302
    assert Adjustment.objects.get().reason == "客户投诉"


# --- R-PERM-2 on the pages ----------------------------------------------------------------------------


def test_r_perm_2_result_pages_matrix(computed):
    world = computed["world"]
    results = {n: Result.objects.get(period=MONTH, subject_id=world.user(n).pk) for n in NAMES}
    details = {n: ScoreDetail.objects.filter(result=r).order_by("position").first() for n, r in results.items()}
    run_matrix(world, "assessment", results, [
        page_list_probe(reverse("assessment:result_list")),
        page_detail_probe(lambda o: reverse("assessment:result_detail", args=[o.pk])),
    ])
    run_matrix(world, "assessment", details, [page_list_probe(reverse("assessment:detail_list"))])


def test_r_perm_2_result_export_matrix(computed):
    """The Excel export of 考核结果查询 holds exactly the rows of the user's scope."""
    from tests.helpers.matrix import export_probe

    world = computed["world"]
    results = {n: Result.objects.get(period=MONTH, subject_id=world.user(n).pk) for n in NAMES}
    run_matrix(world, "assessment", results, [export_probe(reverse("assessment:result_list") + "?export=xlsx")])


def test_result_export_shows_rounded_totals(computed, admin):
    import io

    from python_calamine import CalamineWorkbook

    resp = admin.get(reverse("assessment:result_list"), {"export": "xlsx", "period": MONTH})
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    rows = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    header = rows[0]
    by_name = {r[header.index("考核对象")]: r for r in rows[1:]}
    assert by_name["sub"][header.index("考核总分值")] == 45.3
    assert by_name["me"][header.index("排名")] == 1


def test_create_pages_render_and_metric_is_created(config, admin):
    with at(CONFIG_DAY):
        for name in ("metric_create", "atomic_create", "indicator_create", "template_create", "assignment_create",
                     "run_create", "adjustment_create"):
            assert admin.get(reverse(f"assessment:{name}")).status_code == 200, name
        for name, obj in (("atomic_edit", config["atomics"][0]), ("indicator_edit", config["indicators"][0]),
                          ("template_edit", config["template"]), ("metric_edit", config["metrics"][0]),
                          ("atomic_detail", config["atomics"][0]), ("indicator_detail", config["indicators"][0]),
                          ("template_detail", config["template"])):
            assert admin.get(reverse(f"assessment:{name}", args=[obj.pk])).status_code == 200, name
        for name, obj, attr in (("indicator_edit", config["indicators"][0], "atomic"),
                                ("template_edit", config["template"], "indicator")):
            formset = admin.get(reverse(f"assessment:{name}", args=[obj.pk])).context["formset"]
            assert formset.initial == [{"item": getattr(c, attr), "weight": str(c.weight)}
                                       for c in obj.components.all()] != [], name
        resp = admin.post(reverse("assessment:metric_create"), {
            "code": "churn", "name": "离网率", "unit": "%", "is_percentage": "on", "source": "import",
            "subject_types": ["manager", "section"], "enabled": "on"})
    assert resp.status_code == 302
    from kam.assessment.models import Metric

    assert Metric.objects.get(code="churn").subject_types == ["manager", "section"]


def test_assignment_page_refuses_a_second_template(config, admin):
    world = config["world"]
    with at(CONFIG_DAY):
        resp = admin.post(reverse("assessment:assignment_create"), {
            "template": config["template"].pk, "subject": world.user("me").pk, "month_from": MONTH})
    assert resp.status_code == 200
    assert "一个考核对象每月只能有一个有效考核模板" in resp.content.decode()


def test_metric_page_links_to_the_metric_values_import(config, admin):
    html = admin.get(reverse("assessment:metric_list")).content.decode()
    url = reverse("exchange:import", args=["assessment.metric_values"])
    assert url in html and "导入指标值" in html
    page = admin.get(url)
    assert page.status_code == 200 and "专线收入" in page.content.decode()


def test_run_start_page_shows_the_missing_data_first(config, admin):
    with at(dt.date(2026, 4, 2)):
        html = admin.get(reverse("assessment:run_create")).content.decode()
    assert "计算2026-03之前：缺少的数据" in html and "专线本月收入" in html
