"""Lower-is-better targets (REQUIREMENTS §7 "beyond the seeds": targets with 目标/冲刺/挑战 tiers, for
measured quantities that are better when lower — complaints, churn, arrears; decision 0025): tiers
ordered 目标 ≥ 冲刺 ≥ 挑战 with messages naming the field and the order, the tier reached with ≤ (a
value exactly on a tier reaches it), attainment % = tier ÷ actual × 100, decomposition keeping the
order of the parts, and the direction on the pages, in the API and in Excel."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from kam.assessment import services, targets
from kam.assessment import targetsplit as ts
from kam.assessment.models import Target, TargetDirection, TargetSubjectType
from kam.org.models import User

from .conftest import MONTH, at

pytestmark = pytest.mark.django_db

LOWER = TargetDirection.LOWER
DAY = dt.date(2026, 4, 10)


@pytest.fixture
def root(db):
    return User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)


@pytest.fixture
def complaints(managers):
    return services.metric_create(code="complaints", name="投诉量", unit="件", subject_types=["manager", "department"])


def manager_target(world, metric, name, tiers=("10", "8", "5"), period=MONTH, direction=LOWER):
    return targets.target_create(metric=metric, subject_type=TargetSubjectType.MANAGER, subject_id=world.user(name).pk,
                                 period=period, target_value=tiers[0], sprint_value=tiers[1],
                                 challenge_value=tiers[2], direction=direction)


def actuals(world, values):
    services.metric_values_save(items=[{"metric": "complaints", "subject_type": "manager",
                                        "subject": world.user(n).pk, "period": MONTH, "value": v}
                                       for n, v in values.items() if v is not None])


# --- tiers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tiers", "field", "message"), [
    (("10", "12", None), "sprint_value",
     "The sprint value (12) may not be above the target value (10): lower is better, so target ≥ sprint ≥ "
     "challenge."),
    (("10", "8", "9"), "challenge_value",
     "The challenge value (9) may not be above the sprint value (8): lower is better, so target ≥ sprint ≥ "
     "challenge."),
    (("10", None, "5"), "challenge_value", "Give the sprint value before the challenge value."),
])
def test_lower_tiers_refused_naming_the_field_and_the_order(managers, complaints, tiers, field, message):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        manager_target(managers, complaints, "me", tiers)
    assert exc.value.message_dict == {field: [message]}
    assert not Target.objects.exists()


def test_lower_tiers_accepted_in_descending_order_and_equal_tiers(managers, complaints):
    t = manager_target(managers, complaints, "me", ("10", "10", "0"))
    assert (t.direction, t.target_value, t.sprint_value, t.challenge_value) == (LOWER, D(10), D(10), D(0))
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        targets.target_update(target=t, target_value="10", sprint_value="11")
    assert exc.value.message_dict == {
        "sprint_value": ["冲刺值（11）不能高于目标值（10）：越低越好，应为目标值 ≥ 冲刺值 ≥ 挑战值。"]}
    # The same tiers are refused for a higher-is-better target, the other way round.
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        manager_target(managers, complaints, "peer", ("10", "8", None), direction=TargetDirection.HIGHER)
    assert exc.value.message_dict == {"sprint_value": ["The sprint value (8) may not be below the target value (10)."]}
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        manager_target(managers, complaints, "peer", direction="down")
    assert exc.value.message_dict == {"direction": ["Choose “higher is better” or “lower is better”."]}


# --- tier reached and attainment % ---------------------------------------------------------------------------


def test_lower_tier_reached_on_the_boundaries(managers, complaints, root):
    cases = {"me": "5", "peer": "8", "dept": "10", "sub": "10.01", "city_a": "0", "other": None}
    for name in cases:
        manager_target(managers, complaints, name)
    actuals(managers, cases)
    got = {t.subject_name: (t.actual, t.tier_reached) for t in targets.attainment(root, MONTH)}
    assert got == {
        "me": (D(5), "challenge"),  # exactly the challenge value
        "peer": (D(8), "sprint"),  # exactly the sprint value
        "dept": (D(10), "target"),  # exactly the target value
        "sub": (D("10.01"), "none"),  # a cent above the target
        "city_a": (D(0), "challenge"),  # none at all: every tier
        "other": (None, "none"),  # no value
    }


def test_lower_attainment_percentages_and_zero_actual():
    pct = targets.attainment_pct
    assert [pct(D(8), tier, LOWER) for tier in (D(10), D(8), D(5))] == [D("125.00"), D("100.00"), D("62.50")]
    assert pct(D(3), D(1), LOWER) == D("33.33")  # half-up to 2 decimals
    assert pct(D(5), D(0), LOWER) == D("0.00")  # a tier of 0 with 5 complaints
    assert pct(D(0), D(0), LOWER) == D("100.00")  # exactly on a tier of 0
    assert pct(D(0), D(10), LOWER) is None and targets.attainment_text(D(0), D(10), LOWER) == "100%+"
    assert pct(None, D(10), LOWER) is None and targets.attainment_text(None, D(10), LOWER) == "—"
    assert targets.attainment_text(D(8), D(10), LOWER) == "125.00%"
    assert targets.attainment_text(D(0), D(10)) == "0.00%"  # higher is better: none of the target


# --- decomposition ------------------------------------------------------------------------------------------


def test_lower_split_keeps_the_order_of_the_parts():
    # The plain split of 99.98 (33.32, 33.32, 33.34) would put the last 挑战 above its 冲刺 (33.33):
    # the 挑战 is the 冲刺's parts minus the split of the difference.
    assert ts.split_tiers((D(100), D("99.99"), D("99.98")), [D(1)] * 3, lower_is_better=True) == [
        (D("33.33"), D("33.33"), D("33.33")), (D("33.33"), D("33.33"), D("33.33")),
        (D("33.34"), D("33.33"), D("33.32"))]
    # A part never gives up more than it has: the last part's 目标 is 0, its share of the
    # difference goes to the part before it.
    assert ts.split_tiers((D("0.02"), D("0.01"), None), [D(5), D(5), D(0)], lower_is_better=True) == [
        (D("0.01"), D("0.01"), None), (D("0.01"), D("0.00"), None), (D("0.00"), D("0.00"), None)]
    # By amounts: the 目标 parts are the amounts given.
    assert ts.split_tiers((D("1.00"), D("0.99"), None), [D("0.33"), D("0.33"), D("0.34")], True) == [
        (D("0.33"), D("0.33"), None), (D("0.33"), D("0.33"), None), (D("0.34"), D("0.33"), None)]
    for whole in ((D("0.03"), D("0.02"), D("0.01")), (D("10.01"), D("10.00"), D("9.99")), (D(7), D(7), D(0))):
        for weights in ([D(1)] * 3, [D(1)] * 7, [D(50), D(50), D(0)], [D(0), D(3), D(1), D(0)]):
            rows = ts.split_tiers(whole, weights, lower_is_better=True)
            assert [sum(r[i] for r in rows) for i in range(3)] == list(whole)
            assert all(r[0] >= r[1] >= r[2] >= 0 for r in rows), (whole, weights, rows)


def test_decomposed_parts_inherit_the_direction(managers, complaints):
    year = targets.target_create(metric=complaints, subject_type=TargetSubjectType.UNIT,
                                 subject_id=managers.unit("county_1").pk, period="2026-Q1", target_value="0.03",
                                 sprint_value="0.02", challenge_value="0.01", direction=LOWER)
    months = targets.target_decompose(target=year, split="months")
    # 冲刺 0.02 and 挑战 0.01 split plainly (0.00, 0.00, 0.02 / 0.00, 0.00, 0.01) would lie above the
    # last month's 目标 / 冲刺: they are taken from the tier above instead, in order and exact.
    assert [(m.period, m.direction, m.target_value, m.sprint_value, m.challenge_value) for m in months] == [
        ("2026-01", LOWER, D("0.01"), D("0.01"), D("0.01")), ("2026-02", LOWER, D("0.01"), D("0.01"), D("0.00")),
        ("2026-03", LOWER, D("0.01"), D("0.00"), D("0.00"))]
    people = targets.target_decompose(target=months[2], split="managers")
    assert {p.direction for p in people} == {LOWER}


# --- API, pages, Excel ---------------------------------------------------------------------------------------


def test_api_creates_a_lower_target_and_keeps_its_direction(managers, complaints, root):
    api = APIClient(headers={"accept-language": "en"})
    api.force_authenticate(root)
    body = {"metric": complaints.pk, "subject_type": "manager", "subject": managers.user("me").pk, "period": MONTH,
            "direction": "lower", "target_value": "10", "sprint_value": "12"}
    resp = api.post("/api/v1/assessment/targets/", body, format="json")
    assert resp.status_code == 400 and resp.json() == {"sprint_value": [
        "The sprint value (12) may not be above the target value (10): lower is better, so target ≥ sprint ≥ "
        "challenge."]}
    resp = api.post("/api/v1/assessment/targets/", {**body, "sprint_value": "8"}, format="json")
    assert resp.status_code == 201 and resp.json()["direction"] == "lower"
    pk = resp.json()["id"]
    resp = api.patch(f"/api/v1/assessment/targets/{pk}/", {"direction": "higher"}, format="json")
    assert resp.status_code == 400 and resp.json() == {
        "direction": ["Metric, subject, period and direction are fixed once the target is created."]}
    assert api.put(f"/api/v1/assessment/targets/{pk}/", {**body, "sprint_value": "7"}, format="json").status_code == 200
    resp = api.post("/api/v1/assessment/targets/", {**body, "subject": managers.user("peer").pk, "direction": ""},
                    format="json")
    assert resp.status_code == 400 and "direction" in resp.json()
    del body["direction"]
    resp = api.post("/api/v1/assessment/targets/", {**body, "subject": managers.user("peer").pk,
                                                    "sprint_value": "12"}, format="json")
    assert resp.status_code == 201 and resp.json()["direction"] == "higher"  # the default
    actuals(managers, {"me": "0", "peer": "6"})
    rows = api.get("/api/v1/assessment/target-attainment/", {"period": MONTH}).json()["results"]
    assert [(r["subject_name"], r["direction"], r["actual"], r["target_pct"], r["sprint_pct"], r["tier_reached"])
            for r in rows] == [("me", "lower", "0.0000", None, None, "sprint"),
                               ("peer", "higher", "6.0000", "60.00", "50.00", "none")]


def test_pages_show_the_direction_and_lower_attainment(managers, complaints, root):
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(root)
    url = reverse("assessment:target_create")
    data = {"metric": complaints.pk, "subject_type": "manager", "manager": managers.user("me").pk, "period": MONTH,
            "direction": "lower", "target_value": "10", "sprint_value": "12", "challenge_value": ""}
    with at(DAY):
        html = client.get(url).content.decode()
        assert "越高越好" in html and "越低越好" in html
        resp = client.post(url, data)
        assert resp.context["form"].errors == {
            "sprint_value": ["冲刺值（12）不能高于目标值（10）：越低越好，应为目标值 ≥ 冲刺值 ≥ 挑战值。"]}
        resp = client.post(url, {**data, "sprint_value": "8", "challenge_value": "5"})
        target = Target.objects.get()
        assert resp.status_code == 302 and target.direction == LOWER
        detail = client.get(reverse("assessment:target_detail", args=[target.pk])).content.decode()
        assert "越低越好" in detail
        edit = client.get(reverse("assessment:target_edit", args=[target.pk])).content.decode()
        assert "id_direction" not in edit  # fixed once created
        manager_target(managers, complaints, "peer")
        actuals(managers, {"me": "8", "peer": "0"})
        page = client.get(reverse("assessment:target_attainment"), {"period": MONTH})
        html = page.content.decode()
        assert "125.00%" in html and "100.00%" in html and "62.50%" in html and "100%+" in html
        assert {t.subject_name: t.tier_reached for t in page.context["page"].rows} == {"me": "sprint",
                                                                                      "peer": "challenge"}
        sprint_only = client.get(reverse("assessment:target_attainment"), {"period": MONTH, "tier": "sprint"})
        assert [t.subject_name for t in sprint_only.context["page"].rows] == ["me"]


def test_excel_direction_import_and_export(managers, complaints, root):
    from python_calamine import CalamineWorkbook

    from kam.assessment.targets_exchange import TargetImportSpec
    from kam.exchange.engine import run_import
    from kam.exchange.specs import MODE_UPDATE
    from tests.exchange.conftest import xlsx

    head = ["指标代码", "考核对象类型", "考核对象（账号或机构代码）", "期间", "目标方向", "目标值", "冲刺值", "挑战值"]
    rows = [head, ["complaints", "客户经理", "me", MONTH, "越低越好", 10, 12, None],
            ["complaints", "客户经理", "peer", MONTH, None, 10, 12, None]]
    with translation.override("zh-hans"):
        result = run_import(TargetImportSpec(), user=root, data=xlsx(rows))
        assert [(e["row"], e["column"]) for e in result.errors] == [(2, "冲刺值")]
        rows[1][6] = 8
        result = run_import(TargetImportSpec(), user=root, data=xlsx(rows))
        assert result.ok and result.created == 2, result.errors
        assert {t.subject_name: t.direction for t in Target.objects.all()} == {"me": "lower", "peer": "higher"}
        rows[2][4] = "越低越好"
        result = run_import(TargetImportSpec(), user=root, data=xlsx(rows), mode=MODE_UPDATE)
        assert [(e["row"], e["column"], e["message"]) for e in result.errors] == [
            (3, "目标方向", "目标创建后方向不可更改（“越高越好”）。")]
    actuals(managers, {"me": "0"})
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(root)
    with at(DAY):
        export = client.get(reverse("assessment:target_attainment"), {"period": MONTH, "export": "xlsx"})
        listing = client.get(reverse("assessment:target_list"), {"export": "xlsx"})
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(export.streaming_content) if export.streaming
                                                      else export.content)).get_sheet_by_index(0).to_python()
    header = sheet[0]
    me = next(r for r in sheet[1:] if r[header.index("考核对象")] == "me")
    assert (me[header.index("目标方向")], me[header.index("目标达成率（%）")], me[header.index("达成档位")]) == (
        "越低越好", "", "达成冲刺")  # no 挑战 set: 冲刺 is the highest tier
    body = b"".join(listing.streaming_content) if listing.streaming else listing.content
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    assert "目标方向" in sheet[0] and "越低越好" in [r[sheet[0].index("目标方向")] for r in sheet[1:]]


def test_lists_filter_on_the_direction(managers, complaints, root):
    manager_target(managers, complaints, "me")
    manager_target(managers, complaints, "peer", ("5", "6", None), direction=TargetDirection.HIGHER)
    api = APIClient(headers={"accept-language": "en"})
    api.force_authenticate(root)
    for url in ("/api/v1/assessment/targets/", "/api/v1/assessment/target-attainment/"):
        rows = api.get(url, {"period": MONTH, "direction": "lower"}).json()["results"]
        assert [r["subject_name"] for r in rows] == ["me"], url
