"""目标发布设置 (target publishing settings; REQUIREMENTS §7 "beyond the seeds", decision 0025) in the API
under /api/v1/assessment/target-settings/ and deleted on the page: list, create, update, delete with
field errors, the 考核配置 grant as on the page (R-PERM-1), and deletion refused while values
published through the setting exist for a computed month (the other months' values go with it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from kam.assessment import services, targets
from kam.assessment.models import Metric, MetricSource, MetricValue, TargetSubjectType, TargetTierMetrics
from kam.org.models import DataScope, User
from kam.org.permissions import clear_cache
from tests.helpers.matrix import (
    STANDARD_EXPECTED,
    WORLD_USERS,
    api_detail_probe,
    api_list_probe,
    page_list_probe,
    run_matrix,
)
from tests.helpers.world import grant_role

from .conftest import MONTH, ROWS_FOR_MANAGERS, at, values_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/assessment/target-settings/"
APRIL = "2026-04"


@pytest.fixture
def root(db):
    return User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)


@pytest.fixture
def api(root):
    client = APIClient(headers={"accept-language": "en"})
    client.force_authenticate(root)
    return client


@pytest.fixture
def revenue(managers):
    return services.metric_create(code="revenue", name="收入", unit="元", subject_types=["manager", "department"])


def publish(world, metric, period, value="100"):
    targets.target_create(metric=metric, subject_type=TargetSubjectType.MANAGER, subject_id=world.user("me").pk,
                          period=period, target_value=value)
    return targets.targets_publish(period=period, metric=metric)


def test_api_lists_creates_and_updates_settings_with_field_errors(api, revenue, managers):
    resp = api.post(URL, {"metric": revenue.pk, "create_missing": True}, format="json")
    assert resp.status_code == 201, resp.json()
    data = resp.json()
    codes = dict(Metric.objects.values_list("pk", "code"))
    assert (data["metric_code"], codes[data["target_metric"]], codes[data["sprint_metric"]],
            codes[data["challenge_metric"]]) == ("revenue", "revenue_target", "revenue_sprint", "revenue_challenge")
    assert "create_missing" not in data
    pk = data["id"]
    resp = api.post(URL, {"metric": revenue.pk, "target_metric": data["target_metric"]}, format="json")
    assert resp.status_code == 400 and resp.json() == {
        "metric": ["“收入” already has a target publishing setting: change that one."]}
    resp = api.patch(f"{URL}{pk}/", {"challenge_metric": None}, format="json")
    assert resp.status_code == 200 and resp.json()["challenge_metric"] is None
    assert resp.json()["target_metric"] == data["target_metric"]  # untouched tiers are kept
    resp = api.patch(f"{URL}{pk}/", {"sprint_metric": revenue.pk}, format="json")
    assert resp.status_code == 400 and resp.json() == {
        "sprint_metric": ["A tier's metric must differ from the measured metric."]}
    visits = services.metric_create(code="visits", name="拜访", subject_types=["manager"])
    resp = api.patch(f"{URL}{pk}/", {"metric": visits.pk}, format="json")
    assert resp.status_code == 400 and resp.json() == {
        "metric": ["The measured metric is fixed once the setting is created."]}
    resp = api.post(URL, {"metric": visits.pk}, format="json")
    assert resp.status_code == 400 and resp.json() == {"target_metric": ["Choose the metric of the target value."]}
    rows = api.get(URL).json()["results"]
    assert [(r["id"], r["metric_code"]) for r in rows] == [(pk, "revenue")]
    assert api.get(f"{URL}{pk}/").json()["sprint_metric"] == data["sprint_metric"]


def test_delete_removes_values_of_months_not_computed_and_keeps_the_tier_metrics(api, revenue, managers):
    setting = targets.tier_metrics_set(metric=revenue, create_missing=True)
    with at(dt.date(2026, 4, 10)):
        assert publish(managers, revenue, APRIL)["written"] == 1
    assert MetricValue.objects.filter(source=MetricSource.TARGET).count() == 1
    assert api.delete(f"{URL}{setting.pk}/").status_code == 204
    assert not TargetTierMetrics.objects.exists() and not MetricValue.objects.filter(source="target").exists()
    assert Metric.objects.filter(code__in=["revenue_target", "revenue_sprint", "revenue_challenge"]).count() == 3


def test_delete_refused_while_published_values_of_a_computed_month_exist(api, config, root):
    world = config["world"]
    rev = config["metrics"][0]
    setting = targets.tier_metrics_set(metric=rev, create_missing=True)
    services.metric_values_save(items=values_for(world, ROWS_FOR_MANAGERS))
    with at(dt.date(2026, 4, 7)):
        services.run_start(user=None, period=MONTH, background=False)
        publish(world, rev, MONTH)
        publish(world, rev, APRIL)
    resp = api.delete(f"{URL}{setting.pk}/")
    assert resp.status_code == 400 and resp.json() == {"non_field_errors": [
        f"Targets of “专线收入” were published for months already computed ({MONTH}): their results were scored "
        "against them, so the setting cannot be deleted."]}
    assert TargetTierMetrics.objects.count() == 1 and MetricValue.objects.filter(source="target").count() == 2
    # The page says the same.
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(root)
    url = reverse("assessment:target_tiers_delete", args=[setting.pk])
    with at(dt.date(2026, 4, 10)):
        page = client.get(url).content.decode()
        assert "2个通过该设置发布的值（2026-03、2026-04）" in page
        html = client.post(url).content.decode()
    assert "已为已计算的月份（2026-03）发布了“专线收入”的目标" in html
    assert TargetTierMetrics.objects.count() == 1


def test_settings_page_lists_edits_and_deletes(revenue, managers, root):
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(root)
    setting = targets.tier_metrics_set(metric=revenue, create_missing=True)
    with at(dt.date(2026, 4, 10)):
        publish(managers, revenue, APRIL)
        html = client.get(reverse("assessment:target_tiers_list")).content.decode()
        delete_url = reverse("assessment:target_tiers_delete", args=[setting.pk])
        assert delete_url in html and reverse("assessment:target_tiers_edit", args=[setting.pk]) in html
        resp = client.post(delete_url, follow=True)
    html = resp.content.decode()
    assert resp.redirect_chain[-1][0] == reverse("assessment:target_tiers_list")
    assert "已删除" in html and "已删除1个尚未计算月份的已发布目标值。" in html
    assert not TargetTierMetrics.objects.exists() and not MetricValue.objects.filter(source="target").exists()


def test_delete_needs_the_config_grant_and_the_data_grant_over_the_values(revenue, managers):
    setting = targets.tier_metrics_set(metric=revenue, create_missing=True)
    with at(dt.date(2026, 4, 10)):
        publish(managers, revenue, APRIL)
    user = managers.user("other")  # in 乙市: "me" (一区) lies outside their unit
    client = APIClient(headers={"accept-language": "en"})
    client.force_authenticate(user)
    grant_role(user, "assessment_config", DataScope.ALL, actions=("view",))
    assert client.get(URL).status_code == 200
    assert client.delete(f"{URL}{setting.pk}/").status_code == 403  # view only
    grant_role(user, "assessment_config", DataScope.ALL)
    clear_cache(user)
    resp = client.delete(f"{URL}{setting.pk}/")
    assert resp.status_code == 403  # removing the published values needs the assessment data grant
    grant_role(user, "assessment_data", DataScope.UNIT)  # other's unit (乙市 side): "me" lies outside
    clear_cache(user)
    resp = client.delete(f"{URL}{setting.pk}/")
    assert resp.status_code == 403 and resp.json()["detail"] == (
        "Some values published through this setting lie outside your data scope; nothing was deleted.")
    grant_role(user, "assessment_data", DataScope.ALL)
    clear_cache(user)
    assert client.delete(f"{URL}{setting.pk}/").status_code == 204
    assert not MetricValue.objects.filter(source="target").exists()


def test_r_perm_1_target_settings_api_and_page_matrix(managers):
    """A global setting (not placed in the org tree): any valid grant of 考核配置 sees every one."""
    records = {}
    for name in WORLD_USERS:
        metric = services.metric_create(code=f"m_{name}", name=f"指标{name}", subject_types=["manager"])
        records[name] = targets.tier_metrics_set(metric=metric, create_missing=True)
    granted = {case: (set() if case in ("none", "expired", "not_yet_valid") else set(WORLD_USERS))
               for case in STANDARD_EXPECTED}
    run_matrix(managers, "assessment_config", records, [
        api_list_probe(URL), api_detail_probe(lambda o: f"{URL}{o.pk}/"),
        page_list_probe(reverse("assessment:target_tiers_list")),
    ], expected=granted)


def test_target_settings_api_in_the_schema():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema
    from rest_framework.routers import DefaultRouter

    from kam.assessment.api import router_register

    router = DefaultRouter()
    router_register(router)
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(request=None, public=True)
    assert not GENERATOR_STATS
    validate_schema(schema)
    paths = schema["paths"]
    assert set(paths["/api/v1/assessment/target-settings/"]) >= {"get", "post"}
    assert set(paths["/api/v1/assessment/target-settings/{id}/"]) >= {"get", "put", "patch", "delete"}
    assert "direction" in schema["components"]["schemas"]["Target"]["properties"]
