"""试算 with a brand-new indicator on the page and in the API: a new atomic indicator (metric, mode,
intervals or rate/deduction parameters) inside a new assessment indicator, checked by the same rule
as 原子指标 (R-ASM-1 messages identical to the API's) and never saved (§7 beyond seeds)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from kam.assessment.models import AtomicIndicator, Indicator, ScoreInterval

from .conftest import MONTH, at
from .test_what_if import admin, computed, official_snapshot  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

NEW_EC_STEP = [  # (−∞, 1) → 0, [1, +∞) → 100
    {"lower": "", "lower_closed": False, "upper": "1", "upper_closed": False, "score": "0"},
    {"lower": "1", "lower_closed": True, "upper": "", "upper_closed": False, "score": "100"},
]
WITH_A_GAP = [  # (−∞, 1) → 0, (2, +∞) → 100: [1, 2] is not covered
    {"lower": "", "lower_closed": False, "upper": "1", "upper_closed": False, "score": "0"},
    {"lower": "2", "lower_closed": False, "upper": "", "upper_closed": False, "score": "100"},
]


def page_data(template, i_info, new_ec, intervals) -> dict:
    data = {"period": MONTH, "template": template.pk, "org_unit": "",
            "c-TOTAL_FORMS": "8", "c-INITIAL_FORMS": "0", "c-MIN_NUM_FORMS": "0", "c-MAX_NUM_FORMS": "50",
            "c-0-item": i_info.pk, "c-0-weight": "0.6",
            "ni-name": "新增EC（新口径）", "ni-weight": "0.4", "ni-new_weight": "1",
            "nr-TOTAL_FORMS": "4", "nr-INITIAL_FORMS": "0", "nr-MIN_NUM_FORMS": "0", "nr-MAX_NUM_FORMS": "20",
            "na-name": "新增EC达标", "na-metric": new_ec.pk, "na-mode": "interval", "na-missing_policy": "zero",
            "iv-TOTAL_FORMS": "10", "iv-INITIAL_FORMS": "0", "iv-MIN_NUM_FORMS": "0", "iv-MAX_NUM_FORMS": "50"}
    for i, row in enumerate(intervals):
        data.update({f"iv-{i}-lower": row["lower"], f"iv-{i}-upper": row["upper"], f"iv-{i}-score": row["score"]})
        for end in ("lower_closed", "upper_closed"):
            if row[end]:
                data[f"iv-{i}-{end}"] = "on"
    return data


def test_what_if_page_composes_a_new_atomic_and_indicator(computed, admin):  # noqa: F811
    template, (i_info, _i_ec) = computed["template"], computed["indicators"]
    new_ec = computed["metrics"][2]
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(admin)
    api = APIClient()
    api.force_authenticate(admin)
    before = official_snapshot()
    counts = (AtomicIndicator.objects.count(), ScoreInterval.objects.count(), Indicator.objects.count())
    with at(dt.date(2026, 4, 10)):
        page = client.get(reverse("assessment:what_if")).content.decode()
        assert "新建原子指标" in page and "na-metric" in page and "iv-0-lower" in page
        html = client.post(reverse("assessment:what_if"), page_data(template, i_info, new_ec, NEW_EC_STEP)
                           ).content.decode()
        assert "2026-03 试算：6 个考核对象" in html
        # peer: 信息化收入 7 × 0.6 + the new indicator (1 new EC ⇒ 100) × 0.4 = 44.2; officially 24.2.
        assert "44.20" in html and "24.20" in html and "新增EC（新口径）" in html and "新增EC达标" in html
        # A gap in the intervals: the page says exactly what POST atomic-indicators/ says.
        bad = client.post(reverse("assessment:what_if"), page_data(template, i_info, new_ec, WITH_A_GAP)
                          ).content.decode()
        refused = api.post("/api/v1/assessment/atomic-indicators/", {
            "name": "有缺口", "metric": new_ec.pk, "mode": "interval", "intervals": WITH_A_GAP}, format="json",
            headers={"accept-language": "zh-hans"})
        assert refused.status_code == 400
        messages = refused.json()["intervals"]
        assert messages and all(escape(m) in bad for m in messages)
        assert "kam-what-if-result" not in bad
        # A completion rate without the target metric: the field's message, as for 原子指标.
        data = page_data(template, i_info, new_ec, [])
        data["na-mode"] = "rate"
        html = client.post(reverse("assessment:what_if"), data).content.decode()
        assert "按完成率计分需要选择目标值指标。</div>" in html  # under the field, as on 原子指标
        assert "kam-what-if-result" not in html
    assert official_snapshot() == before
    assert (AtomicIndicator.objects.count(), ScoreInterval.objects.count(), Indicator.objects.count()) == counts


def test_what_if_api_with_a_new_atomic_indicator(computed, admin):  # noqa: F811
    world, template = computed["world"], computed["template"]
    i_info = computed["indicators"][0]
    api = APIClient()
    api.force_authenticate(admin)
    body = {"period": MONTH, "template": template.pk, "components": [
        {"indicator": i_info.pk, "weight": "0.6"},
        {"name": "新增EC（新口径）", "weight": "0.4", "atomics": [
            {"new": {"name": "新增EC达标", "metric": "new_ec", "mode": "interval", "intervals": NEW_EC_STEP},
             "weight": "1"}]}]}
    resp = api.post("/api/v1/assessment/what-if/", body, format="json")
    assert resp.status_code == 200, resp.content
    peer = next(s for s in resp.json()["subjects"] if s["subject"] == world.user("peer").pk)
    assert D(peer["score"]) == D("44.2")
    assert peer["indicators"][1]["atomics"][0]["name"] == "新增EC达标"
    body["components"][1]["atomics"][0]["new"]["intervals"] = WITH_A_GAP
    resp = api.post("/api/v1/assessment/what-if/", body, format="json")
    assert resp.status_code == 400 and "intervals" in resp.json()
    assert not AtomicIndicator.objects.filter(name="新增EC达标").exists()
