"""试算 (what-if, issue 6 item 8): a draft template scored against a month's real values by the
pure kernel; official results, details and runs are never touched (R-ASM-2 weights checked,
R-PERM-1/2 data scope on subjects and values)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from kam.assessment import services
from kam.assessment.models import AssessmentRun, Result, ScoreDetail
from kam.assessment.whatif import what_if
from kam.org.models import User

from .conftest import MONTH, at, values_for
from .test_runs import ROWS

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(config):
    services.metric_values_save(items=values_for(config["world"], ROWS))
    with at(dt.date(2026, 4, 7)):
        services.run_start(user=None, period=MONTH, background=False)
    return config


@pytest.fixture
def admin(db):
    return User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)


def official_snapshot():
    return (
        sorted(Result.objects.values_list("id", "period", "subject_id", "score", "total", "rank", "run_id")),
        sorted(ScoreDetail.objects.values_list("id", "result_id", "atomic_id", "value", "score", "contribution")),
        sorted(AssessmentRun.objects.values_list("id", "status", "input_hash", "result_count")),
    )


def scores(result, world) -> dict[str, D | None]:
    by_id = {s["subject"]: (None if s["score"] is None else D(s["score"])) for s in result.subjects}
    return {name: by_id[world.user(name).pk] for name in ("me", "peer", "sub", "dept", "city_a", "other")
            if world.user(name).pk in by_id}


def test_what_if_scores_a_draft_and_leaves_official_results_alone(computed, admin):
    world, template = computed["world"], computed["template"]
    i_info, i_ec = computed["indicators"]
    before = official_snapshot()
    # An edited copy of the template: the weights swapped (0.4 / 0.6).
    result = what_if(user=admin, period=MONTH, template=template, components=[
        {"indicator": i_info, "weight": "0.4"}, {"indicator": i_ec, "weight": "0.6"}])
    got = scores(result, world)
    assert got["me"] == D(100)
    assert got["peer"] == D("32.8")  # 信息化收入 7 × 0.4 + 新增EC 50 × 0.6
    assert got["city_a"] == D(0)  # no values: policy "score 0"
    peer = next(s for s in result.subjects if s["subject"] == world.user("peer").pk)
    assert D(peer["official_score"]) == D("24.2")
    assert [(i["name"], i["weight"], D(i["score"])) for i in peer["indicators"]] == [
        ("信息化收入", "0.4", D(7)), ("新增EC", "0.6", D(50))]
    assert [(a["name"], a["value"], a["interval"], D(a["score"])) for a in peer["indicators"][0]["atomics"]] == [
        ("专线本月收入", "55000", "(50000, 60000]", D(10)), ("客户拜访次数", "9", "(−∞, 10)", D(0))]
    # A draft made on the spot: one new indicator of one atomic indicator.
    _a_rev, a_vis, _a_ec = computed["atomics"]
    result = what_if(user=admin, period=MONTH, template=template, components=[
        {"name": "拜访", "weight": "1", "atomics": [{"atomic": a_vis, "weight": "1"}]}])
    assert scores(result, world)["me"] == D(100) and scores(result, world)["peer"] == D(0)
    assert official_snapshot() == before


def test_what_if_of_the_template_as_saved_matches_the_official_scores(computed, admin):
    result = what_if(user=admin, period=MONTH, template=computed["template"])
    assert all(D(s["score"]) == D(s["official_score"]) for s in result.subjects)
    assert len(result.subjects) == 6


def test_what_if_refuses_weights_not_summing_to_one_r_asm_2(computed, admin):
    i_info, i_ec = computed["indicators"]
    with pytest.raises(ValidationError) as exc:
        what_if(user=admin, period=MONTH, template=computed["template"], components=[
            {"indicator": i_info, "weight": "0.33"}, {"indicator": i_ec, "weight": "0.33"}])
    assert "components" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        what_if(user=admin, period=MONTH, components=[{"indicator": i_info, "weight": "1"}])
    assert "org_unit" in exc.value.error_dict  # nobody to score


def test_what_if_of_an_org_node_and_within_the_data_scope(computed, admin):
    world = computed["world"]
    i_info, _i_ec = computed["indicators"]
    draft = [{"indicator": i_info, "weight": "1"}]
    result = what_if(user=admin, period=MONTH, components=draft, org_unit=world.unit("county_1"))
    assert set(scores(result, world)) == {"me", "peer", "dept"}  # 营销部 lies under 一区
    # R-PERM-2: an account manager sees only their own values and score.
    mine = what_if(user=world.user("me"), period=MONTH, template=computed["template"])
    assert [s["subject"] for s in mine.subjects] == [world.user("me").pk]
    assert D(mine.subjects[0]["score"]) == D(100)


def test_what_if_api(computed, admin):
    i_info, i_ec = computed["indicators"]
    api = APIClient()
    api.force_authenticate(admin)
    before = official_snapshot()
    resp = api.post("/api/v1/assessment/what-if/", {
        "period": MONTH, "template": computed["template"].pk,
        "components": [{"indicator": i_info.pk, "weight": "0.4"}, {"indicator": i_ec.pk, "weight": "0.6"}],
    }, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["count"] == 6 and body["period"] == MONTH
    peer = next(s for s in body["subjects"] if s["subject"] == computed["world"].user("peer").pk)
    assert D(peer["score"]) == D("32.8") and peer["indicators"][1]["atomics"][0]["interval"] == "(0, 2)"
    bad = api.post("/api/v1/assessment/what-if/", {"period": MONTH, "template": computed["template"].pk,
                                                   "components": [{"indicator": i_info.pk, "weight": "0.9"}]},
                   format="json")
    assert bad.status_code == 400 and "components" in bad.json()
    assert official_snapshot() == before
    schema = api.get("/api/v1/schema/")
    assert schema.status_code == 200 and "/api/v1/assessment/what-if/" in schema.content.decode()


def test_what_if_page(computed, admin):
    template = computed["template"]
    i_info, i_ec = computed["indicators"]
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(admin)
    before = official_snapshot()
    with at(dt.date(2026, 4, 10)):
        detail = client.get(reverse("assessment:template_detail", args=[template.pk])).content.decode()
        assert f"{reverse('assessment:what_if')}?template={template.pk}" in detail
        page = client.get(reverse("assessment:what_if"), {"template": template.pk}).content.decode()
        assert "试算" in page and 'value="0.60"' in page and 'value="2026-03"' in page
        data = {"period": MONTH, "template": template.pk, "org_unit": "", "c-TOTAL_FORMS": "8",
                "c-INITIAL_FORMS": "0", "c-MIN_NUM_FORMS": "0", "c-MAX_NUM_FORMS": "50",
                "c-0-item": i_info.pk, "c-0-weight": "0.4", "c-1-item": i_ec.pk, "c-1-weight": "0.6"}
        html = client.post(reverse("assessment:what_if"), data).content.decode()
        assert "2026-03 试算：6 个考核对象" in html
        assert "32.80" in html and "24.20" in html  # what-if and official score of peer
        data["c-1-weight"] = "0.5"
        html = client.post(reverse("assessment:what_if"), data).content.decode()
        assert "权重之和为0.9，必须恰好为1" in html
    assert official_snapshot() == before
