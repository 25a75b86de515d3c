"""Veto items (一票否决, REQUIREMENTS §7 "Beyond the seeds", decision 0022).

A template lists veto rules outside its weighted components: when an atomic indicator's value is at
least the threshold (the threshold itself included) the total is the rule's total (default 0),
whatever the weighted score, bonus points and adjustments. The kernel exactly on and beside the
threshold, the computed month on both engines (parity), re-totals keeping the vetoed total, the
scorecard, the template page and API, and what-if."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook
from rest_framework.test import APIClient

from kam.assessment import kernel, services
from kam.assessment.models import AssessmentRun, MissingPolicy, Result, Template, VetoRule
from kam.org.models import User

from .conftest import CONFIG_DAY, MONTH, at, values_for

# --- kernel -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "threshold", "hit"), [
    ("1", "1", True),  # exactly on the threshold: vetoed (value ≥ n)
    ("0.9999", "1", False),  # a hair below
    ("1.0001", "1", True),
    ("0", "0", True),  # a threshold of 0 vetoes every value there
    ("-0.01", "0", False),
    (None, "1", False),  # a missing value never vetoes
])
def test_veto_hit_on_and_beside_the_threshold(value, threshold, hit):
    """Veto items (REQUIREMENTS §7 "Beyond the seeds"): the threshold itself vetoes."""
    assert kernel.veto_hit(None if value is None else D(value), D(threshold)) is hit


def test_validate_veto_limits():
    assert kernel.validate_veto("1", "0") == []
    assert kernel.validate_veto("-5.5", "100") == []
    codes = [(p.code, p.position) for p in kernel.validate_veto("x", "100.01")]
    assert codes == [("rate_not_number", 1), ("veto_total_range", 2)]
    assert [p.code for p in kernel.validate_veto("1.005", "-1")] == ["rate_decimals", "veto_total_range"]


def test_final_total_keeps_the_veto_total_and_holds_a_held_result():
    assert kernel.final_total(D("88.5"), D(2), D(-1)) == D("89.5")
    assert kernel.final_total(D("88.5"), D(2), D(-1), veto_total=D(0)) == D(0)
    assert kernel.final_total(None, D(2), D(0), veto_total=D(0)) is None


def test_score_batch_applies_the_first_veto_listed_and_never_a_held_subject():
    iv = (kernel.make_interval(None, False, None, False, 100),)
    atomics = {"a": kernel.AtomicSpec("a", iv, missing=kernel.MISSING_BLOCK), "v": kernel.AtomicSpec("v", iv),
               "w": kernel.AtomicSpec("w", iv)}
    template = kernel.TemplateSpec("t", (kernel.IndicatorSpec("i", D(1), (("a", D(1)),)),), vetoes=(
        kernel.VetoSpec("v", D(1), D(0), "违规次数"), kernel.VetoSpec("w", D("0.5"), D(30), "安全事故")))
    values = {"a": [D(1), D(1), D(1), None, D(1)],
              "v": [D(1), D("0.99"), D(2), D(3), None],
              "w": [None, D("0.5"), D(1), None, D("0.49")]}
    batch = kernel.score_batch(template, atomics, list("abcde"), values)
    assert batch.veto == [0, 1, 0, None, None]
    assert batch.veto_total == [D(0), D(30), D(0), None, None]
    assert batch.veto_text == ["违规次数 = 1 ≥ 1", "安全事故 = 0.5 ≥ 0.5", "违规次数 = 2 ≥ 1", "", ""]
    assert batch.blocked[3] and batch.template_score[3] is None  # held: the veto does not apply
    assert batch.template_score[0] == D(100)  # the weighted score itself is kept


# --- services -------------------------------------------------------------------------------------------------

VIOLATION_INTERVALS = [
    {"lower": None, "lower_closed": False, "upper": 1, "upper_closed": False, "score": 100},
    {"lower": 1, "lower_closed": True, "upper": None, "upper_closed": False, "score": 0},
]


@pytest.fixture
def veto_config(config):
    """The conftest template plus two veto items outside its weights: 违规次数 ≥ 1 → 0 and
    安全事故 ≥ 0.5 → 30; revenue is held when missing (block policy)."""
    with at(CONFIG_DAY):
        violations = services.metric_create(code="violations", name="违规", unit="次")
        accidents = services.metric_create(code="accidents", name="事故", unit="次")
        a_vio = services.atomic_indicator_create(name="违规次数", metric=violations, intervals=VIOLATION_INTERVALS)
        a_acc = services.atomic_indicator_create(name="安全事故", metric=accidents, intervals=VIOLATION_INTERVALS)
        services.atomic_indicator_update(atomic=config["atomics"][0], missing_policy=MissingPolicy.BLOCK)
        services.template_update(template=config["template"], vetoes=[
            {"atomic": a_vio, "threshold": "1"}, {"atomic": a_acc, "threshold": "0.5", "total": "30"}])
    return {**config, "vetoes": (a_vio, a_acc)}


# name: (revenue, visits, new EC), violations, accidents
VETO_ROWS = {
    "me": ((100000, 12, 3), "1", None),  # exactly on the threshold: vetoed, total 0
    "peer": ((55000, 9, 1), "0.99", "0.5"),  # below the first, on the second: total 30
    "sub": ((90000, 10, 0), "2", "1"),  # both hit: the first listed applies
    "other": ((50000, 10, 1), None, None),  # no value: not vetoed
    "dept": ((None, 5, 1), "3", None),  # revenue missing under the block policy: held, not vetoed
    "city_a": ((80000, 10, 2), "0", "0.49"),
}


def _save_values(world):
    items = values_for(world, {n: row[0] for n, row in VETO_ROWS.items()})
    for name, (_row, vio, acc) in VETO_ROWS.items():
        for code, value in (("violations", vio), ("accidents", acc)):
            if value is not None:
                items.append({"metric": code, "subject_type": "manager", "subject": world.user(name).pk,
                              "period": MONTH, "value": value})
    services.metric_values_save(items=items)


@pytest.fixture
def veto_month(veto_config):
    _save_values(veto_config["world"])
    with at(dt.date(2026, 4, 7)):
        services.run_start(user=None, period=MONTH, background=False)
    return veto_config


def _results(world) -> dict[str, Result]:
    by_id = {r.subject_id: r for r in Result.objects.filter(period=MONTH)}
    return {name: by_id[world.user(name).pk] for name in VETO_ROWS}


@pytest.mark.django_db
def test_template_veto_items_are_validated_and_kept_in_order(veto_config):
    template = veto_config["template"]
    a_vio, a_acc = veto_config["vetoes"]
    rules = list(template.vetoes.order_by("position").values_list("atomic__name", "threshold", "total"))
    assert rules == [("违规次数", D(1), D(0)), ("安全事故", D("0.5"), D(30))]
    with at(CONFIG_DAY), translation.override("zh-hans"):
        with pytest.raises(ValidationError) as exc:
            services.template_update(template=template, vetoes=[
                {"atomic": a_vio, "threshold": "1"}, {"atomic": a_vio, "threshold": "2"},
                {"atomic": a_acc, "threshold": "1.005", "total": "101"}])
        assert exc.value.message_dict == {"vetoes": [
            "一票否决第2项：“违规次数”重复。", "一票否决第3项：阈值：1.005的小数超过2位。",
            "一票否决第3项：否决后总分：101须在0到100之间。"]}
        services.template_update(template=template, components=None)  # veto items untouched when not given
    assert VetoRule.objects.filter(template=template).count() == 2


@pytest.mark.django_db
def test_r_asm_6_vetoed_month_totals_ranks_and_retotals(veto_month):
    """R-ASM-6 totals with veto items: the veto's total replaces the total; the template score is kept; bonus points and
    adjustments added later leave a vetoed total alone (decision 0022)."""
    world = veto_month["world"]
    res = _results(world)
    me, peer, sub, other, dept, city = (res[n] for n in ("me", "peer", "sub", "other", "dept", "city_a"))
    assert (me.vetoed, me.total, me.veto_text) == (True, D(0), "违规次数 = 1 ≥ 1")
    assert me.score > 0  # the weighted score stays visible
    assert (peer.vetoed, peer.total, peer.veto_text) == (True, D(30), "安全事故 = 0.5 ≥ 0.5")
    assert (sub.vetoed, sub.total, sub.veto_text) == (True, D(0), "违规次数 = 2 ≥ 1")
    assert (other.vetoed, other.total) == (False, other.score)
    assert (dept.status, dept.vetoed, dept.total) == ("blocked", False, None)
    assert (city.vetoed, city.total) == (False, city.score)
    assert me.rank == sub.rank and me.rank > peer.rank > city.rank
    with at(dt.date(2026, 4, 8)):
        services.bonus_create(user=None, subject_type="manager", subject_id=world.user("me").pk, period=MONTH,
                              points="5", reason="加分")
        services.bonus_create(user=None, subject_type="manager", subject_id=world.user("other").pk, period=MONTH,
                              points="5", reason="加分")
    me.refresh_from_db()
    other.refresh_from_db()
    assert (me.bonus, me.total, me.vetoed) == (D(5), D(0), True)
    assert other.total == other.score + 5


@pytest.mark.django_db
def test_scorecard_and_result_api_explain_the_veto(veto_month):
    world = veto_month["world"]
    root = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(root)
    res = _results(world)
    with at(dt.date(2026, 4, 10)):
        html = client.get(reverse("assessment:result_detail", args=[res["me"].pk])).content.decode()
        assert "一票否决：违规次数 = 1 ≥ 1，总分为0" in html
        html = client.get(reverse("assessment:result_detail", args=[res["other"].pk])).content.decode()
        assert "一票否决：" not in html
        api = APIClient()
        api.force_authenticate(root)
        body = api.get(f"/api/v1/assessment/results/{res['peer'].pk}/", headers={"accept-language": "zh-hans"}).json()
        assert (body["vetoed"], body["veto"], body["total"]) == (True, "一票否决：安全事故 = 0.5 ≥ 0.5，总分为30",
                                                                 "30.000000")
        body = api.get(f"/api/v1/assessment/results/{res['other'].pk}/").json()
        assert (body["vetoed"], body["veto"]) == (False, "")
        html = client.get(reverse("assessment:result_list"), {"period": MONTH}).content.decode()
        assert "触发的一票否决项" in html and "安全事故 = 0.5 ≥ 0.5" in html
        export = client.get(reverse("assessment:result_list"), {"export": "xlsx", "period": MONTH})
    assert export.status_code == 200
    body = b"".join(export.streaming_content) if export.streaming else export.content
    rows = CalamineWorkbook.from_filelike(BytesIO(body)).get_sheet_by_index(0).to_python()
    header = rows[0]
    vetoes = {r[header.index("考核对象")]: r[header.index("一票否决")] for r in rows[1:]}
    assert vetoes[res["me"].subject_label] == "一票否决：违规次数 = 1 ≥ 1，总分为0"
    assert vetoes[res["other"].subject_label] in ("", None)


@pytest.mark.django_db
def test_an_atomic_indicator_of_a_veto_item_cannot_be_deleted(veto_config):
    a_vio, _a_acc = veto_config["vetoes"]
    with at(CONFIG_DAY), translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.atomic_indicator_delete(atomic=a_vio)
    assert "一票否决项" in exc.value.messages[0] and "客户经理月度考核" in exc.value.messages[0]


@pytest.mark.django_db
def test_what_if_applies_the_templates_veto_items(veto_month):
    from kam.assessment.whatif import what_if

    world = veto_month["world"]
    root = User.objects.create_superuser(username="root2", password="x", name="root2", must_change_password=False)
    with translation.override("zh-hans"):
        result = what_if(user=root, period=MONTH, template=veto_month["template"])
    official = {r.subject_id: r for r in Result.objects.filter(period=MONTH)}
    for s in result.subjects:
        r = official[s["subject"]]
        assert s["vetoed"] == r.vetoed
        assert (s["veto_total"] is None) if not r.vetoed else D(s["veto_total"]) == r.total
    by_name = {s["subject"]: s for s in result.subjects}
    assert by_name[world.user("sub").pk]["veto"] == "一票否决：违规次数 = 2 ≥ 1，总分为0"


# --- pages and API -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_template_page_edits_veto_items(veto_config):
    root = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(root)
    i_info, i_ec = veto_config["indicators"]
    a_vio, a_acc = veto_config["vetoes"]
    data = {"name": "否决模板", "subject_type": "manager", "valid_from": "2026-03-01", "valid_to": "2026-04-30",
            "enabled": "on", "c-TOTAL_FORMS": "2", "c-INITIAL_FORMS": "0", "c-MIN_NUM_FORMS": "0",
            "c-MAX_NUM_FORMS": "50", "c-0-item": i_info.pk, "c-0-weight": "0.5", "c-1-item": i_ec.pk,
            "c-1-weight": "0.5", "v-TOTAL_FORMS": "2", "v-INITIAL_FORMS": "0", "v-MIN_NUM_FORMS": "0",
            "v-MAX_NUM_FORMS": "20", "v-0-atomic": a_vio.pk, "v-0-threshold": "1", "v-0-total": "",
            "v-1-atomic": a_acc.pk, "v-1-threshold": "abc", "v-1-total": "10"}
    with at(CONFIG_DAY):
        html = client.get(reverse("assessment:template_edit", args=[veto_config["template"].pk])).content.decode()
        assert "一票否决" in html and 'value="0.5"' in html and 'value="30"' in html
        resp = client.post(reverse("assessment:template_create"), data)
        assert resp.status_code == 200
        assert "一票否决第2项：阈值：“abc”不是数字。" in resp.content.decode()
        assert not Template.objects.filter(name="否决模板").exists()
        data["v-1-threshold"] = "2"
        resp = client.post(reverse("assessment:template_create"), data)
        assert resp.status_code == 302, resp.content.decode()[:2000]
        template = Template.objects.get(name="否决模板")
        assert list(template.vetoes.values_list("atomic__name", "threshold", "total")) == [
            ("违规次数", D(1), D(0)), ("安全事故", D(2), D(10))]
        html = client.get(resp["Location"]).content.decode()
    assert "否决后总分" in html and "≥ 2" in html and "违规次数" in html


@pytest.mark.django_db
def test_template_api_reads_and_writes_veto_items(veto_config):
    root = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    api = APIClient()
    api.force_authenticate(root)
    template = veto_config["template"]
    a_vio, _a_acc = veto_config["vetoes"]
    with at(CONFIG_DAY):
        body = api.get(f"/api/v1/assessment/templates/{template.pk}/").json()
        assert [(v["atomic_name"], v["threshold"], v["total"]) for v in body["vetoes"]] == [
            ("违规次数", "1.00", "0.00"), ("安全事故", "0.50", "30.00")]
        bad = api.patch(f"/api/v1/assessment/templates/{template.pk}/", {"vetoes": [
            {"atomic": a_vio.pk, "threshold": "1", "total": "-1"}]}, format="json", headers={"accept-language": "en"})
        assert bad.status_code == 400
        assert bad.json()["vetoes"] == ["Veto item 1: Total when vetoed: -1 must be between 0 and 100."]
        ok = api.patch(f"/api/v1/assessment/templates/{template.pk}/", {"vetoes": [
            {"atomic": a_vio.pk, "threshold": "3"}]}, format="json")
        assert ok.status_code == 200, ok.json()
    assert [(v["threshold"], v["total"]) for v in ok.json()["vetoes"]] == [("3.00", "0.00")]


# --- the SQL engine gives the kernel's rows -----------------------------------------------------------------------


def _rows():
    return sorted(Result.objects.filter(period=MONTH).values_list(
        "subject_id", "status", "score", "bonus", "adjustment", "total", "rank", "rank_in_unit", "vetoed",
        "veto_text"))


def _compute(engine: str) -> AssessmentRun:
    with at(dt.date(2026, 4, 9)):
        run = AssessmentRun.objects.create(period=MONTH, refresh_config=True)
        return services.compute(run, engine=engine)


@pytest.mark.django_db
def test_sql_engine_and_kernel_agree_on_veto_items(veto_config):
    world = veto_config["world"]
    _save_values(world)
    with at(dt.date(2026, 4, 8)):
        services.bonus_create(user=None, subject_type="manager", subject_id=world.user("me").pk, period=MONTH,
                              points="5", reason="加分")
    kernel_run = _compute(services.ENGINE_KERNEL)
    kernel_rows = _rows()
    sql_run = _compute(services.ENGINE_SQL)
    sql_rows = _rows()
    assert sql_rows == kernel_rows
    assert sql_run.report == kernel_run.report
    got = {r[0]: r for r in sql_rows}
    me = got[world.user("me").pk]
    assert (me[3], me[5], me[9]) == (D(5), D(0), "违规次数 = 1 ≥ 1")  # bonus, total, veto text
    assert got[world.user("peer").pk][8:] == (True, "安全事故 = 0.5 ≥ 0.5")
    assert got[world.user("dept").pk][1] == "blocked" and not got[world.user("dept").pk][8]
    # A veto item's value is part of the fingerprint.
    services.metric_values_save(items=[{"metric": "accidents", "subject_type": "manager",
                                        "subject": world.user("city_a").pk, "period": MONTH, "value": "0.5"}])
    again = _compute(services.ENGINE_SQL)
    assert again.input_hash != sql_run.input_hash
    assert Result.objects.get(period=MONTH, subject_id=world.user("city_a").pk).total == D(30)
