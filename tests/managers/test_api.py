"""API of 客户经理管理 under /api/v1/managers/ (REQUIREMENTS §2, R-PERM-1)."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from kam.managers.models import AccountManager, ManagerStatus, Training
from kam.org.models import BusinessLine, User
from tests.helpers.matrix import api_detail_probe, api_list_probe, run_matrix
from tests.helpers.world import grant_role

pytestmark = pytest.mark.django_db

BASE = "/api/v1/managers"


@pytest.fixture
def admin_api(world):
    me = world.user("me")
    grant_role(me, "managers", "all")
    grant_role(me, "business_lines", "all", actions=("view",))
    grant_role(me, "org", "all", actions=("view",))
    grant_role(me, "users", "all", actions=("view",))
    client = APIClient()
    client.force_authenticate(me)
    return client


def test_r_perm_1_managers_api_matrix(world, profiles):
    run_matrix(world, "managers", profiles,
               [api_list_probe(f"{BASE}/"), api_detail_probe(lambda o: f"{BASE}/{o.pk}/")])


def test_r_perm_1_trainings_api_matrix(world, profiles):
    rows = {label: Training.objects.create(manager=m, start_date=dt.date(2021, 1, 1), course="课程")
            for label, m in profiles.items()}
    run_matrix(world, "managers", rows,
               [api_list_probe(f"{BASE}/trainings/"), api_detail_probe(lambda o: f"{BASE}/trainings/{o.pk}/")])


def test_section_2_api_create_with_new_login_and_rows(world, admin_api):
    line = BusinessLine.objects.first()
    resp = admin_api.post(f"{BASE}/", {
        "username": "km100", "org_unit": world.unit("county_1").pk, "password": "Init@pass-2026", "name": "赵六",
        "employee_no": "KM100", "gender": "F", "phone": "13700000000", "business_lines": [line.pk],
        "trainings": [{"start_date": "2020-01-01", "course": "商务礼仪"}],
        "experiences": [{"start_date": "2015-01-01", "end_date": "2019-12-31", "employer": "某公司"}],
    }, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["username"] == "km100" and body["name"] == "赵六" and body["status"] == "enabled"
    assert [t["course"] for t in body["trainings"]] == ["商务礼仪"]
    assert User.objects.get(username="km100").must_change_password


def test_section_2_api_create_bad_row_saves_nothing(world, admin_api):
    resp = admin_api.post(f"{BASE}/", {
        "username": "km101", "org_unit": world.unit("county_1").pk, "password": "Init@pass-2026", "name": "x",
        "employee_no": "KM101", "trainings": [{"start_date": "2020-02-01", "end_date": "2020-01-01", "course": "c"}],
    }, format="json")
    assert resp.status_code == 400
    assert "trainings[1].end_date" in resp.json()
    assert not User.objects.filter(username="km101").exists()


def test_section_2_api_fuzzy_filter_and_status(world, profiles, admin_api):
    rows = admin_api.get(f"{BASE}/", {"q": "13800000002"}).json()["results"]
    assert [r["username"] for r in rows] == ["peer"]
    resp = admin_api.post(f"{BASE}/{profiles['peer'].pk}/disable/", {"reason": "调岗"}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "disabled"
    assert resp.json()["disabled_reason"] == "调岗"
    rows = admin_api.get(f"{BASE}/", {"status": "disabled"}).json()["results"]
    assert [r["username"] for r in rows] == ["peer"]
    resp = admin_api.post(f"{BASE}/{profiles['peer'].pk}/disable/", {"reason": "again"}, format="json")
    assert resp.status_code == 400 and "status" in resp.json()
    assert admin_api.post(f"{BASE}/{profiles['peer'].pk}/disable/", {}, format="json").status_code == 400
    resp = admin_api.post(f"{BASE}/{profiles['peer'].pk}/enable/")
    assert resp.status_code == 200 and resp.json()["status"] == "enabled"
    rows = admin_api.get(f"{BASE}/", {"org_unit": world.unit("county_1").pk}).json()["results"]
    assert {r["username"] for r in rows} == {"me", "peer", "dept"}


def test_section_2_api_update_rows_and_delete(world, profiles, admin_api):
    m = profiles["peer"]
    resp = admin_api.patch(f"{BASE}/{m.pk}/", {"name": "新名字", "title": "主管"}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["name"] == "新名字" and resp.json()["title"] == "主管"
    resp = admin_api.post(f"{BASE}/trainings/", {"manager": m.pk, "start_date": "2022-05-01", "course": "谈判"},
                          format="json")
    assert resp.status_code == 201, resp.content
    tid = resp.json()["id"]
    resp = admin_api.post(f"{BASE}/experiences/", {"manager": m.pk, "start_date": "2010-05-01",
                                                   "employer": "某局"}, format="json")
    assert resp.status_code == 201, resp.content
    assert admin_api.delete(f"{BASE}/trainings/{tid}/").status_code == 204
    assert admin_api.delete(f"{BASE}/{m.pk}/").status_code == 204
    assert not AccountManager.objects.filter(pk=m.pk).exists()


def test_r_perm_1_api_write_outside_scope(world, profiles):
    me = world.user("me")
    grant_role(me, "managers", "own_sub", actions=("view",))
    client = APIClient()
    client.force_authenticate(me)
    assert client.get(f"{BASE}/{profiles['sub'].pk}/").status_code == 200
    assert client.post(f"{BASE}/{profiles['sub'].pk}/disable/", {"reason": "x"}, format="json").status_code == 403
    assert AccountManager.objects.get(pk=profiles["sub"].pk).status == ManagerStatus.ENABLED


def test_managers_schema_is_valid_without_warnings():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema
    from rest_framework.routers import DefaultRouter

    from kam.managers.api import router_register

    router = DefaultRouter()
    router_register(router)
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "schema generation warnings (see captured stderr)"
    validate_schema(schema)
    for p in ("/api/v1/managers/", "/api/v1/managers/{id}/", "/api/v1/managers/{id}/disable/",
              "/api/v1/managers/{id}/enable/", "/api/v1/managers/trainings/", "/api/v1/managers/experiences/{id}/"):
        assert p in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/v1/managers/"]["get"]["parameters"]}
    assert {"q", "org_unit", "business_line", "status"} <= params
