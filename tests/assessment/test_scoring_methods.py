"""Scoring methods beyond intervals (REQUIREMENTS §7 "Beyond the seeds", decision 0022).

Completion rate with floor and cap (保底/封顶): score = value ÷ target × full score, raised to the
floor, limited to the cap, rounded half-up to 2 decimals. Deductions (扣分): full score − points
per unit × value, never below a minimum. The kernel exactly on and beside every limit, validation,
the configuration page and API, what-if, and the explanation on the scorecard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from kam.assessment import kernel, services
from kam.assessment.models import AtomicIndicator, MissingPolicy, Result, ScoreDetail, ScoringMode
from kam.org.models import User

from .conftest import CONFIG_DAY, MONTH, at

# --- kernel -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rate", "full", "floor", "cap", "score", "status"), [
    ("60", "100", "60", "120", "60", kernel.ST_OK),  # exactly on the floor: scored, not raised
    ("59.999999", "100", "60", "120", "60", kernel.ST_FLOOR),  # a hair below: raised to the floor
    ("0", "100", "60", "120", "60", kernel.ST_FLOOR),
    ("-25", "100", "60", "120", "60", kernel.ST_FLOOR),  # a negative value: still the floor
    ("120", "100", "60", "120", "120", kernel.ST_OK),  # exactly on the cap
    ("120.000001", "100", "60", "120", "120", kernel.ST_CAP),  # a hair above: limited to the cap
    ("1428571.285714", "100", "60", "120", "120", kernel.ST_CAP),
    ("83.333333", "100", "0", "100", "83.33", kernel.ST_OK),  # rounded half-up to 2 decimals
    ("60.125", "100", "0", "100", "60.13", kernel.ST_OK),  # a tie goes up
    ("80", "90", "75", "90", "75", kernel.ST_FLOOR),  # 80% of a full score of 90 is 72, below the floor
    ("100", "90", "75", "90", "90", kernel.ST_OK),  # 100% of a full score of 90: exactly on the cap
])
def test_rate_score_on_and_beside_floor_and_cap(rate, full, floor, cap, score, status):
    assert kernel.rate_score(D(rate), D(full), D(floor), D(cap)) == (D(score), status)


def test_rate_score_with_a_full_score_below_100_and_a_cap_above_100():
    # Full score 80: 100% scores 80; 150% scores 120; the cap 110 limits it.
    assert kernel.rate_score(D(100), D(80), D(0), D(110)) == (D(80), kernel.ST_OK)
    assert kernel.rate_score(D("137.5"), D(80), D(0), D(110)) == (D(110), kernel.ST_OK)
    assert kernel.rate_score(D(150), D(80), D(0), D(110)) == (D(110), kernel.ST_CAP)


def _codes(full, floor, cap):
    return [(p.code, p.position) for p in kernel.validate_rate(full, floor, cap)]


def test_validate_rate_limits():
    assert _codes("100", "60", "120") == []
    assert _codes("100", "0", "200") == []  # a cap up to 200 allows scoring above 100
    assert _codes("100", "80", "80") == []  # floor = cap: a fixed score
    assert _codes("100", "90", "80") == [("rate_floor_above_cap", 2)]
    assert _codes("0", "0", "100") == [("rate_full_range", 1)]
    assert _codes("100.01", "0", "100") == [("rate_full_range", 1)]
    assert _codes("100", "-1", "100") == [("rate_bound_range", 2)]
    assert _codes("100", "0", "200.01") == [("rate_bound_range", 3)]
    assert _codes("100", "60.125", "100") == [("rate_decimals", 2)]
    assert _codes("100", "abc", "100") == [("rate_not_number", 2)]


def test_score_batch_in_rate_mode():
    spec = kernel.AtomicSpec("a", (), mode=kernel.MODE_RATE, full_score=D(100), floor=D(60), cap=D(120))
    template = kernel.TemplateSpec("t", (kernel.IndicatorSpec("i", D(1), (("a", D(1)),)),))
    values = [D(30), D(60), D(100), D(130), D(50), None]
    targets = [D(100), D(100), D(100), D(100), D(0), D(100)]
    res = kernel.score_batch(template, {"a": spec}, list(range(6)), {"a": values}, {"a": targets})
    assert res.d_score == [D(60), D(60), D(100), D(120), D(0), D(0)]
    assert res.d_status == [kernel.ST_FLOOR, kernel.ST_OK, kernel.ST_OK, kernel.ST_CAP, kernel.ST_NO_TARGET,
                            kernel.ST_MISSING]
    assert res.d_interval_text[:4] == ["[60, 120]"] * 4
    assert res.d_interval_index == [None] * 6
    assert res.template_score == [D(60), D(60), D(100), D(120), D(0), D(0)]


def test_floor_and_cap_never_hold_a_result_under_the_block_policy():
    spec = kernel.AtomicSpec("a", (), mode=kernel.MODE_RATE, missing=kernel.MISSING_BLOCK, floor=D(60), cap=D(100))
    template = kernel.TemplateSpec("t", (kernel.IndicatorSpec("i", D(1), (("a", D(1)),)),))
    res = kernel.score_batch(template, {"a": spec}, [1, 2, 3], {"a": [D(10), D(500), None]},
                             {"a": [D(100), D(100), D(100)]})
    assert res.blocked == [False, False, True]
    assert res.template_score == [D(60), D(100), None]


# --- services, pages, API ---------------------------------------------------------------------------------

@pytest.fixture
def metrics(db):
    with at(CONFIG_DAY):
        rev = services.metric_create(code="revenue", name="收入", unit="元")
        target = services.metric_create(code="revenue_target", name="收入目标", unit="元")
    return rev, target


@pytest.mark.django_db
def test_rate_atomic_indicator_needs_no_intervals_and_keeps_its_limits(metrics):
    rev, target = metrics
    with at(CONFIG_DAY):
        a = services.atomic_indicator_create(name="收入完成率（保底封顶）", metric=rev, mode=ScoringMode.RATE,
                                             target_metric=target, full_score=D(100), score_floor=D(60),
                                             score_cap=D("120.5"))
    a.refresh_from_db()
    assert (a.full_score, a.score_floor, a.score_cap) == (D(100), D(60), D("120.5"))
    assert a.intervals.count() == 0


@pytest.mark.django_db
def test_rate_validation_names_the_field_in_chinese(metrics, settings):
    rev, target = metrics
    settings.LANGUAGE_CODE = "zh-hans"
    from django.utils import translation

    with at(CONFIG_DAY), translation.override("zh-hans"):
        with pytest.raises(ValidationError) as exc:
            services.atomic_indicator_create(name="x", metric=rev, mode=ScoringMode.RATE, target_metric=target,
                                             score_floor=D(90), score_cap=D(80))
        assert exc.value.message_dict == {"score_floor": ["保底分：90高于封顶分80。"]}
        with pytest.raises(ValidationError) as exc:
            services.atomic_indicator_create(name="x", metric=rev, mode=ScoringMode.RATE, target_metric=target,
                                             score_cap=D(201))
        assert exc.value.message_dict == {"score_cap": ["封顶分：201须在0到200之间。"]}
        with pytest.raises(ValidationError) as exc:
            services.atomic_indicator_create(name="x", metric=rev, mode=ScoringMode.RATE)
        assert "target_metric" in exc.value.message_dict
    assert not AtomicIndicator.objects.filter(name="x").exists()


@pytest.fixture
def admin(db):
    user = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_rate_atomic_indicator_page_create_and_detail(metrics, admin):
    rev, target = metrics
    data = {"name": "收入完成率", "metric": rev.pk, "mode": "rate", "target_metric": target.pk,
            "missing_policy": "zero", "full_score": "100", "score_floor": "60", "score_cap": "120", "enabled": "on",
            "iv-TOTAL_FORMS": "0", "iv-INITIAL_FORMS": "0", "iv-MIN_NUM_FORMS": "0", "iv-MAX_NUM_FORMS": "50"}
    with at(CONFIG_DAY):
        html = admin.get(reverse("assessment:atomic_create")).content.decode()
        assert "完成率×满分（保底/封顶）" in html and "保底分" in html and "封顶分" in html
        bad = admin.post(reverse("assessment:atomic_create"), {**data, "score_floor": "130"})
        assert bad.status_code == 200
        assert "保底分：130高于封顶分120。" in bad.content.decode()
        resp = admin.post(reverse("assessment:atomic_create"), data)
        assert resp.status_code == 302, resp.content.decode()[:3000]
        a = AtomicIndicator.objects.get(name="收入完成率")
        html = admin.get(reverse("assessment:atomic_detail", args=[a.pk])).content.decode()
        assert "得分 = 数值 ÷ 目标 × 100" in html and "至少60分（保底）" in html and "至多120分（封顶）" in html
        html = admin.get(reverse("assessment:atomic_list")).content.decode()
        assert "满分100，保底60，封顶120" in html


@pytest.mark.django_db
def test_rate_atomic_indicator_api(metrics, db):
    rev, target = metrics
    user = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    api = APIClient()
    api.force_authenticate(user)
    with at(CONFIG_DAY):
        resp = api.post("/api/v1/assessment/atomic-indicators/", {
            "name": "收入完成率", "metric": rev.pk, "mode": "rate", "target_metric": target.pk,
            "score_floor": "60", "score_cap": "150"}, format="json")
        assert resp.status_code == 201, resp.json()
        body = resp.json()
        assert (body["full_score"], body["score_floor"], body["score_cap"], body["intervals"]) == (
            "100.00", "60.00", "150.00", [])
        bad = api.patch(f"/api/v1/assessment/atomic-indicators/{body['id']}/", {"score_floor": "160"},
                        format="json", headers={"accept-language": "en"})
        assert bad.status_code == 400
        assert "Floor: 160 is above the cap 150." in str(bad.json())


# --- a month scored with floor and cap: the scorecard explains it ------------------------------------------


@pytest.fixture
def rate_month(config):
    world = config["world"]
    rev = config["metrics"][0]
    i_info, i_ec = config["indicators"]
    with at(CONFIG_DAY):
        target = services.metric_create(code="revenue_target", name="收入目标", unit="元")
        a_rate = services.atomic_indicator_create(
            name="收入完成率", metric=rev, mode=ScoringMode.RATE, target_metric=target,
            missing_policy=MissingPolicy.ZERO, full_score=D(100), score_floor=D(60), score_cap=D(110))
        i_rate = services.indicator_create(name="完成率", components=[{"atomic": a_rate, "weight": "1"}])
        services.template_update(template=config["template"], components=[
            {"indicator": i_info, "weight": "0.3"}, {"indicator": i_ec, "weight": "0.2"},
            {"indicator": i_rate, "weight": "0.5"}])
    items = []
    for name, (value, tgt) in {"me": ("150000", "100000"), "sub": ("30000", "100000"),
                               "other": ("60000", "100000"), "peer": ("50000", "60000")}.items():
        for code, v in (("private_line_revenue", value), ("revenue_target", tgt)):
            items.append({"metric": code, "subject_type": "manager", "subject": world.user(name).pk,
                          "period": MONTH, "value": v})
    services.metric_values_save(items=items)
    with at(dt.date(2026, 4, 7)):
        services.run_start(user=None, period=MONTH, background=False)
    return config


@pytest.mark.django_db
def test_scorecard_explains_floor_and_cap(rate_month, admin):
    world = rate_month["world"]
    details = {d.result.subject_id: d for d in ScoreDetail.objects.filter(atomic_name="收入完成率")
               .select_related("result")}
    me, sub, other, peer = (details[world.user(n).pk] for n in ("me", "sub", "other", "peer"))
    assert (me.measure, me.score, me.status) == (D(150), D(110), "cap")
    assert (sub.measure, sub.score, sub.status) == (D(30), D(60), "floor")
    assert (other.measure, other.score, other.status) == (D(60), D(60), "ok")  # exactly on the floor
    assert (peer.score, peer.status) == (D("83.33"), "ok")
    result = Result.objects.get(period=MONTH, subject_id=world.user("sub").pk)
    with at(dt.date(2026, 4, 10)):
        html = admin.get(reverse("assessment:result_detail", args=[result.pk])).content.decode()
        assert "保底：完成率30%，得分提至60" in html
        me_result = Result.objects.get(period=MONTH, subject_id=world.user("me").pk)
        html = admin.get(reverse("assessment:result_detail", args=[me_result.pk])).content.decode()
        assert "封顶：完成率150%，得分限为110" in html
        peer_result = Result.objects.get(period=MONTH, subject_id=world.user("peer").pk)
        html = admin.get(reverse("assessment:result_detail", args=[peer_result.pk])).content.decode()
        assert "完成率83.333333%，在[60, 110]之内" in html
        html = admin.get(reverse("assessment:detail_list"), {"period": MONTH, "q": "收入完成率"}).content.decode()
        assert "保底：完成率30%，得分提至60" in html and "封顶：完成率150%，得分限为110" in html


# --- deductions (扣分) ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "full", "per_unit", "minimum", "score", "status"), [
    ("0", "100", "5", "0", "100", kernel.ST_DEDUCTED),  # nothing to deduct
    ("3", "100", "5", "0", "85", kernel.ST_DEDUCTED),  # each complaint −5
    ("20", "100", "5", "0", "0", kernel.ST_DEDUCTED),  # exactly on the minimum: an ordinary score
    ("21", "100", "5", "0", "0", kernel.ST_MINIMUM),  # beyond it: held at the minimum
    ("13", "100", "5", "40", "40", kernel.ST_MINIMUM),  # a minimum of 40
    ("12", "100", "5", "40", "40", kernel.ST_DEDUCTED),  # exactly on the minimum of 40
    ("-2", "100", "5", "0", "100", kernel.ST_DEDUCTED),  # a negative value deducts nothing
    ("1.0001", "100", "2.5", "0", "97.50", kernel.ST_DEDUCTED),  # 97.49975 → 97.50 half-up
    ("1.003", "100", "2.5", "0", "97.49", kernel.ST_DEDUCTED),  # 97.4925 → 97.49
])
def test_deduction_score_on_and_beside_the_minimum(value, full, per_unit, minimum, score, status):
    assert kernel.deduction_score(D(value), D(full), D(per_unit), D(minimum)) == (D(score), status)


def test_validate_deduction_limits():
    def codes(*args):
        return [(p.code, p.position) for p in kernel.validate_deduction(*args)]

    assert codes("100", "5", "0") == []
    assert codes("100", "0", "0") == [("rate_full_range", 2)]  # deducting nothing is no rule
    assert codes("100", "100.01", "0") == [("rate_full_range", 2)]
    assert codes("100", "5", "-1") == [("rate_bound_range", 3)]
    assert codes("80", "5", "90") == [("minimum_above_full", 3)]
    assert codes("100", "0.125", "0") == [("rate_decimals", 2)]


def test_score_batch_in_deduction_mode_explains_the_formula():
    spec = kernel.AtomicSpec("a", (), mode=kernel.MODE_DEDUCTION, full_score=D(100), per_unit=D(5), floor=D(0))
    template = kernel.TemplateSpec("t", (kernel.IndicatorSpec("i", D(1), (("a", D(1)),)),))
    res = kernel.score_batch(template, {"a": spec}, [1, 2, 3], {"a": [D("3.0000"), D(25), None]})
    assert res.d_score == [D(85), D(0), D(0)]
    assert res.d_status == [kernel.ST_DEDUCTED, kernel.ST_MINIMUM, kernel.ST_MISSING]
    assert res.d_interval_text == ["100 − 5 × 3", "100 − 5 × 25", ""]


@pytest.mark.django_db
def test_deduction_atomic_indicator_service_and_validation(metrics):
    rev, target = metrics
    from django.utils import translation

    with at(CONFIG_DAY), translation.override("zh-hans"):
        a = services.atomic_indicator_create(name="投诉扣分", metric=rev, mode=ScoringMode.DEDUCTION,
                                             target_metric=target, deduction_per_unit="5")
        a.refresh_from_db()
        assert (a.full_score, a.deduction_per_unit, a.score_floor, a.target_metric_id) == (D(100), D(5), D(0), None)
        with pytest.raises(ValidationError) as exc:
            services.atomic_indicator_update(atomic=a, full_score="80", score_floor="90")
        assert exc.value.message_dict == {"score_floor": ["最低分：90高于满分80。"]}
        with pytest.raises(ValidationError) as exc:
            services.atomic_indicator_update(atomic=a, deduction_per_unit="0")
        assert exc.value.message_dict == {"deduction_per_unit": ["每单位扣分：0须大于0且不超过100。"]}


@pytest.fixture
def deduction_month(config):
    world = config["world"]
    i_info, i_ec = config["indicators"]
    with at(CONFIG_DAY):
        complaints = services.metric_create(code="complaints", name="投诉次数", unit="次")
        a_ded = services.atomic_indicator_create(name="投诉扣分", metric=complaints, mode=ScoringMode.DEDUCTION,
                                                 full_score="100", deduction_per_unit="5", score_floor="40")
        i_ded = services.indicator_create(name="服务质量", components=[{"atomic": a_ded, "weight": "1"}])
        services.template_update(template=config["template"], components=[
            {"indicator": i_info, "weight": "0.3"}, {"indicator": i_ec, "weight": "0.2"},
            {"indicator": i_ded, "weight": "0.5"}])
    services.metric_values_save(items=[
        {"metric": "complaints", "subject_type": "manager", "subject": world.user(n).pk, "period": MONTH, "value": v}
        for n, v in (("me", "3"), ("sub", "20"), ("other", "0"))])
    with at(dt.date(2026, 4, 7)):
        services.run_start(user=None, period=MONTH, background=False)
    return config


@pytest.mark.django_db
def test_scorecard_explains_deductions(deduction_month, admin):
    world = deduction_month["world"]
    details = {d.result.subject_id: d for d in ScoreDetail.objects.filter(atomic_name="投诉扣分")
               .select_related("result")}
    me, sub, other = (details[world.user(n).pk] for n in ("me", "sub", "other"))
    assert (me.score, me.status, me.interval_text) == (D(85), "deducted", "100 − 5 × 3")
    assert (sub.score, sub.status) == (D(40), "minimum")
    assert (other.score, other.status) == (D(100), "deducted")
    with at(dt.date(2026, 4, 10)):
        html = admin.get(reverse("assessment:result_detail", args=[me.result_id])).content.decode()
        assert "扣分：100 − 5 × 3 = 85" in html
        html = admin.get(reverse("assessment:result_detail", args=[sub.result_id])).content.decode()
        assert "扣分：100 − 5 × 20，不低于最低分40" in html


# --- what-if (试算) uses the same rules -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fixture", ["rate_month", "deduction_month"])
def test_what_if_of_the_saved_template_matches_the_official_scores(fixture, request):
    from kam.assessment.whatif import what_if

    config = request.getfixturevalue(fixture)
    root = User.objects.create_superuser(username="root2", password="x", name="root2", must_change_password=False)
    result = what_if(user=root, period=MONTH, template=config["template"])
    assert len(result.subjects) == 6
    assert all(D(s["score"]) == D(s["official_score"]) for s in result.subjects)
    explained = {a["interval"] for s in result.subjects for i in s["indicators"] for a in i["atomics"]}
    assert ("[60, 110]" if fixture == "rate_month" else "100 − 5 × 3") in explained


@pytest.mark.django_db
def test_deduction_atomic_indicator_api_and_page(metrics, admin):
    rev, _target = metrics
    user = User.objects.create_superuser(username="api", password="x", name="api", must_change_password=False)
    api = APIClient()
    api.force_authenticate(user)
    with at(CONFIG_DAY):
        resp = api.post("/api/v1/assessment/atomic-indicators/", {
            "name": "投诉扣分", "metric": rev.pk, "mode": "deduction", "deduction_per_unit": "5",
            "score_floor": "40"}, format="json")
        assert resp.status_code == 201, resp.json()
        body = resp.json()
        assert (body["full_score"], body["deduction_per_unit"], body["score_floor"], body["target_metric"]) == (
            "100.00", "5.00", "40.00", None)
        html = admin.get(reverse("assessment:atomic_detail", args=[body["id"]])).content.decode()
        assert "得分 = 100 − 5 × 数值，最低40分" in html
        html = admin.get(reverse("assessment:atomic_list")).content.decode()
        assert "满分100，每单位扣5分，最低40分" in html
