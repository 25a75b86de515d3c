"""API of assessment targets (REQUIREMENTS §7 "beyond the seeds": targets decomposed year → quarter →
month and company → branch → team → manager, with 目标/冲刺/挑战 tiers): /api/v1/assessment/targets/,
…/decompose/, targets/publish/ and target-attainment/, within the data scope (R-PERM-1, R-PERM-2)."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from kam.assessment import services, targets
from kam.assessment.models import MetricValue, Target, TargetSubjectType
from kam.org.models import User
from tests.helpers.matrix import api_detail_probe, api_list_probe, run_matrix

from .conftest import MONTH, at

pytestmark = pytest.mark.django_db

BASE = "/api/v1/assessment"
NAMES = ("me", "peer", "dept", "sub", "city_a", "other")


@pytest.fixture
def api(db):
    admin = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    client = APIClient(headers={"accept-language": "en"})
    client.force_authenticate(admin)
    return client


@pytest.fixture
def revenue(managers):
    return services.metric_create(code="revenue", name="收入", unit="元", subject_types=["manager", "department"])


def test_targets_crud_with_field_errors(api, revenue, managers):
    county = managers.unit("county_1").pk
    body = {"metric": revenue.pk, "subject_type": "unit", "subject": county, "period": "2026-Q1",
            "target_value": "300", "sprint_value": "290"}
    resp = api.post(f"{BASE}/targets/", body, format="json")
    assert resp.status_code == 400
    assert resp.json() == {"sprint_value": ["The sprint value (290) may not be below the target value (300)."]}
    resp = api.post(f"{BASE}/targets/", {**body, "sprint_value": 360}, format="json")
    assert resp.status_code == 201, resp.json()
    data = resp.json()
    assert (data["period_kind"], data["target_value"], data["sprint_value"], data["challenge_value"],
            data["subject_name"], data["org_unit"], data["children"]) == ("quarter", "300.00", "360.00", None, "一区",
                                                                         county, [])
    pk = data["id"]
    resp = api.patch(f"{BASE}/targets/{pk}/", {"challenge_value": "400"}, format="json")
    assert resp.status_code == 200 and resp.json()["challenge_value"] == "400.00"
    resp = api.patch(f"{BASE}/targets/{pk}/", {"period": "2026-Q2"}, format="json")
    assert resp.status_code == 400
    assert resp.json() == {"period": ["Metric, subject, period and direction are fixed once the target is created."]}
    resp = api.post(f"{BASE}/targets/{pk}/decompose/", {"split": "months"}, format="json")
    assert resp.status_code == 200
    child_ids = [p["id"] for p in resp.json()["parts"]]
    detail = api.get(f"{BASE}/targets/{pk}/").json()
    assert detail["children"] == child_ids and detail["split"] == "months"
    assert api.get(f"{BASE}/targets/", {"parent": pk}).json()["count"] == 3
    resp = api.delete(f"{BASE}/targets/{pk}/")
    assert resp.status_code == 400
    assert resp.json() == {"non_field_errors": ["The target has been decomposed into 3 parts: delete them first."]}
    assert api.delete(f"{BASE}/targets/{child_ids[0]}/").status_code == 204


def test_decompose_preview_shares_and_errors(api, revenue, managers):
    year = targets.target_create(metric=revenue, subject_type=TargetSubjectType.UNIT,
                                 subject_id=managers.unit("province").pk, period="2026", target_value="100.00",
                                 sprint_value="120", challenge_value="150")
    url = f"{BASE}/targets/{year.pk}/decompose/"
    resp = api.post(url, {"split": "quarters", "method": "shares", "preview": True,
                          "values": {"2026-Q1": "10", "2026-Q2": "20", "2026-Q3": "30", "2026-Q4": "30"}},
                    format="json")
    assert resp.status_code == 400 and resp.json() == {"values": ["The shares add up to 90%, not 100%."]}
    resp = api.post(url, {"split": "units", "preview": True}, format="json")
    assert resp.status_code == 200
    assert [(p["label"], p["id"], p["target_value"], p["sprint_value"], p["challenge_value"])
            for p in resp.json()["parts"]] == [("甲市", None, "50.00", "60.00", "75.00"),
                                                ("乙市", None, "50.00", "60.00", "75.00")]
    assert not year.children.exists()
    resp = api.post(url, {"split": "months"}, format="json")
    assert resp.status_code == 200 and resp.json()["saved"] is True
    assert [p["target_value"] for p in resp.json()["parts"]] == ["8.33"] * 11 + ["8.37"]
    assert year.children.count() == 12


def test_publish_and_attainment(api, revenue, managers):
    targets.tier_metrics_set(metric=revenue, create_missing=True)
    for name, value in (("me", "120"), ("peer", "99.99")):
        targets.target_create(metric=revenue, subject_type=TargetSubjectType.MANAGER,
                              subject_id=managers.user(name).pk, period=MONTH, target_value="100",
                              sprint_value="120")
        services.metric_values_save(items=[{"metric": "revenue", "subject_type": "manager",
                                            "subject": managers.user(name).pk, "period": MONTH, "value": value}])
    resp = api.post(f"{BASE}/targets/publish/", {"period": MONTH, "metric": "revenue"}, format="json")
    assert resp.status_code == 200, resp.json()
    assert {k: resp.json()[k] for k in ("written", "removed", "skipped", "months", "computed")} == {
        "written": 4, "removed": 0, "skipped": 0, "months": [MONTH], "computed": []}
    assert MetricValue.objects.filter(source="target").count() == 4
    resp = api.post(f"{BASE}/targets/publish/", {"period": MONTH, "metric": "nope"}, format="json")
    assert resp.status_code == 400 and resp.json() == {"metric": ["Unknown metric “nope”."]}
    rows = api.get(f"{BASE}/target-attainment/", {"period": MONTH}).json()["results"]
    assert [(r["subject_name"], r["actual"], r["target_pct"], r["sprint_pct"], r["challenge_pct"], r["tier_reached"],
             r["tier_label"]) for r in rows] == [
        ("me", "120.0000", "120.00", "100.00", None, "sprint", "Sprint reached"),
        ("peer", "99.9900", "99.99", "83.33", None, "none", "Not reached")]
    rows = api.get(f"{BASE}/target-attainment/", {"period": MONTH, "tier": "sprint"}).json()["results"]
    assert [r["subject_name"] for r in rows] == ["me"]
    with at(dt.date(2026, 4, 10)):
        assert api.get(f"{BASE}/target-attainment/").json()["count"] == 2  # last month by default


def test_r_perm_2_targets_api_matrix(revenue, managers):
    records = {name: targets.target_create(metric=revenue, subject_type=TargetSubjectType.MANAGER,
                                           subject_id=managers.user(name).pk, period=MONTH, target_value="1")
               for name in NAMES}
    with at(dt.date(2026, 4, 10)):  # target-attainment/ shows last month by default
        run_matrix(managers, "assessment_target", records, [
            api_list_probe(f"{BASE}/targets/"),
            api_detail_probe(lambda o: f"{BASE}/targets/{o.pk}/"),
            api_list_probe(f"{BASE}/target-attainment/"),
        ])


def test_a_manager_sees_own_targets_and_cannot_change_them(revenue, managers):
    """Built-in grants: an account manager reads their own targets only (R-PERM-2)."""
    mine = targets.target_create(metric=revenue, subject_type=TargetSubjectType.MANAGER,
                                 subject_id=managers.user("peer").pk, period=MONTH, target_value="1")
    targets.target_create(metric=revenue, subject_type=TargetSubjectType.MANAGER,
                          subject_id=managers.user("me").pk, period=MONTH, target_value="1")
    client = APIClient()
    client.force_authenticate(managers.user("peer"))
    assert [r["id"] for r in client.get(f"{BASE}/targets/").json()["results"]] == [mine.pk]
    assert client.patch(f"{BASE}/targets/{mine.pk}/", {"target_value": "2"}, format="json").status_code == 403
    assert Target.objects.get(pk=mine.pk).target_value == 1


def test_targets_api_in_the_schema():
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
    for p in ("targets/", "targets/{id}/", "targets/{id}/decompose/", "targets/publish/", "target-attainment/"):
        assert f"/api/v1/assessment/{p}" in schema["paths"], p
