"""Built-in metrics (数据源指标 computed from the platform's own data, issue 6 item 1): one Metric
row per registered metric, values stored before a run (R-ASM computation inputs), refresh page and
API. The metric registered here counts real rows: the account managers of each manager's unit."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from kam.assessment import services
from kam.assessment.apps import _sync_builtin_metrics
from kam.assessment.models import AssessmentRun, Metric, MetricSource, MetricValue, Result, ScoreDetail
from kam.core.registry import BUILTIN_METRICS, BuiltinMetric, register_builtin_metric
from kam.org.models import User
from tests.helpers.world import make_user

from .conftest import at, make_manager

pytestmark = pytest.mark.django_db

PERIOD = "2026-04"


def unit_peers(period: str) -> dict[int, D]:
    """Account managers in each manager's own org unit (two queries, no per-manager loop)."""
    managers = User.objects.filter(roles__code="account_manager", is_active=True, org_unit__isnull=False)
    per_unit = dict(managers.values_list("org_unit_id").annotate(n=Count("id", distinct=True)))
    return {uid: D(per_unit[unit]) for uid, unit in managers.values_list("id", "org_unit_id").distinct()}


@pytest.fixture
def peers_metric():
    register_builtin_metric(BuiltinMetric("unit_peers", "同单位客户经理数", unit="人", compute=unit_peers))
    yield BUILTIN_METRICS["unit_peers"]
    BUILTIN_METRICS.pop("unit_peers", None)


@pytest.fixture
def admin(db):
    return User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)


def _template_on_peers(world):
    """A template for April 2026 scoring the built-in metric: 2 or more peers score 100."""
    metric = Metric.objects.get(code="unit_peers")
    with at(dt.date(2026, 4, 10)):
        atomic = services.atomic_indicator_create(name="团队规模", metric=metric, intervals=[
            {"lower": None, "lower_closed": False, "upper": 2, "upper_closed": False, "score": 0},
            {"lower": 2, "lower_closed": True, "upper": None, "upper_closed": False, "score": 100},
        ])
        indicator = services.indicator_create(name="团队", components=[{"atomic": atomic, "weight": "1"}])
        template = services.template_create(name="团队模板", valid_from=dt.date(2026, 4, 1),
                                            valid_to=dt.date(2026, 5, 31),
                                            components=[{"indicator": indicator, "weight": "1"}])
        for name in ("me", "peer", "sub"):
            services.assignment_create(template=template, subject_id=world.user(name).pk, month_from=PERIOD,
                                       month_to=PERIOD)
    return template


def test_one_metric_row_per_registered_builtin_metric_idempotent(managers, peers_metric):
    _sync_builtin_metrics(sender=None)  # what runs after migrate
    services.builtin_metrics_sync()
    metric = Metric.objects.get(code="unit_peers")
    assert (metric.source, metric.name, metric.unit, metric.for_manager) == (
        MetricSource.BUILTIN, "同单位客户经理数", "人", True)
    assert Metric.objects.filter(code="unit_peers").count() == 1
    # The administrator's switch survives a re-sync; the registered name wins.
    Metric.objects.filter(pk=metric.pk).update(enabled=False, name="x")
    services.builtin_metrics_sync()
    metric.refresh_from_db()
    assert (metric.enabled, metric.name) == (False, "同单位客户经理数")


def test_builtin_metric_is_not_editable_or_deletable_like_a_manual_one(managers, peers_metric):
    services.builtin_metrics_sync()
    metric = Metric.objects.get(code="unit_peers")
    with pytest.raises(ValidationError) as exc:
        services.metric_update(metric=metric, name="改名")
    assert "name" in exc.value.error_dict
    with pytest.raises(ValidationError):
        services.metric_delete(metric=metric)
    with pytest.raises(ValidationError) as exc:
        services.metric_create(code="fake", name="假的", source=MetricSource.BUILTIN)
    assert "source" in exc.value.error_dict
    services.metric_update(metric=metric, enabled=False, description="平台计算")
    metric.refresh_from_db()
    assert (metric.enabled, metric.description) == (False, "平台计算")


def test_run_stores_builtin_values_first_and_scores_them(managers, peers_metric):
    services.builtin_metrics_sync()
    _template_on_peers(managers)
    with at(dt.date(2026, 5, 7)):
        run = services.run_start(user=None, period=PERIOD, background=False)
    stored = dict(MetricValue.objects.filter(metric__code="unit_peers", period=PERIOD).values_list(
        "subject_id", "value"))
    me, peer, sub = (managers.user(n).pk for n in ("me", "peer", "sub"))
    assert stored[me] == stored[peer] == D(2) and stored[sub] == D(1)
    assert set(stored) == set(unit_peers(PERIOD))  # every manager, assigned or not
    assert set(MetricValue.objects.filter(metric__code="unit_peers").values_list("source", flat=True)) == {
        MetricSource.BUILTIN}
    totals = dict(Result.objects.filter(period=PERIOD).values_list("subject_id", "total"))
    assert totals == {me: D(100), peer: D(100), sub: D(0)}
    detail = ScoreDetail.objects.get(result__subject_id=sub, result__period=PERIOD)
    assert (detail.value, detail.interval_text, detail.metric_code) == (D(1), "(−∞, 2)", "unit_peers")

    # A second manager joins sub's unit: the re-run reads the platform again, the fingerprint moves.
    make_manager(make_user("newbie", managers.unit("county_2")))
    with at(dt.date(2026, 5, 8)):
        rerun = services.run_start(user=None, period=PERIOD, background=False)
    assert rerun.input_hash != run.input_hash
    assert Result.objects.get(period=PERIOD, subject_id=sub).total == D(100)
    assert MetricValue.objects.filter(metric__code="unit_peers", period=PERIOD, subject_id=sub).count() == 1
    assert AssessmentRun.objects.filter(period=PERIOD).count() == 2


def test_refresh_page_stores_the_month_values(managers, peers_metric, admin):
    services.builtin_metrics_sync()
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(admin)
    with at(dt.date(2026, 5, 2)):
        listing = client.get(reverse("assessment:metric_list")).content.decode()
        assert reverse("assessment:builtin_refresh") in listing and "刷新平台数据指标值" in listing
        page = client.get(reverse("assessment:builtin_refresh")).content.decode()
        assert "同单位客户经理数" in page and 'value="2026-04"' in page
        resp = client.post(reverse("assessment:builtin_refresh"), {"period": PERIOD}, follow=True)
        bad = client.post(reverse("assessment:builtin_refresh"), {"period": "2026-4"})
    html = resp.content.decode()
    assert re.search(r"已保存 2026-04 的 \d+ 个平台数据指标共 \d+ 个值", html)
    assert MetricValue.objects.filter(metric__code="unit_peers", period=PERIOD).count() == 6
    assert "2026-03" in bad.content.decode()  # the month format is explained


def test_refresh_api_and_its_permission(managers, peers_metric, admin):
    services.builtin_metrics_sync()
    api = APIClient()
    api.force_authenticate(admin)
    resp = api.post("/api/v1/assessment/metric-values/refresh-builtin/", {"period": PERIOD}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["period"] == PERIOD and resp.json()["metrics"]["unit_peers"] == 6
    again = api.post("/api/v1/assessment/metric-values/refresh-builtin/", {"period": PERIOD}, format="json")
    assert again.json()["metrics"]["unit_peers"] == 6
    assert MetricValue.objects.filter(metric__code="unit_peers", period=PERIOD).count() == 6  # replaced
    assert api.post("/api/v1/assessment/metric-values/refresh-builtin/", {"period": "x"},
                    format="json").status_code == 400
    manager = APIClient()
    manager.force_authenticate(managers.user("me"))
    assert manager.post("/api/v1/assessment/metric-values/refresh-builtin/", {"period": PERIOD},
                        format="json").status_code == 403


def test_builtin_metric_edit_page_only_offers_description_and_enabled(managers, peers_metric, admin):
    services.builtin_metrics_sync()
    metric = Metric.objects.get(code="unit_peers")
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(admin)
    html = client.get(reverse("assessment:metric_edit", args=[metric.pk])).content.decode()
    assert 'name="code"' in html and "disabled" in html.split('name="code"')[1].split(">")[0]
    resp = client.post(reverse("assessment:metric_edit", args=[metric.pk]),
                       {"code": "hacked", "name": "改名", "description": "平台计算"})
    assert resp.status_code == 302
    metric.refresh_from_db()
    assert (metric.code, metric.name, metric.description, metric.enabled) == (
        "unit_peers", "同单位客户经理数", "平台计算", False)
    new = client.get(reverse("assessment:metric_create")).content.decode()
    assert 'value="builtin"' not in new
