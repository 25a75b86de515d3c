"""R-IMP-1 through the API: imports, error reports, templates, exports, saved views."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from kam.org.models import User
from tests.helpers.matrix import WORLD_USERS, Probe, run_matrix

from .conftest import USER_HEADERS, body, read_xlsx, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(admin_me):
    client = APIClient()
    client.force_authenticate(admin_me)
    return client


def test_r_imp_1_api_import_reports_errors_then_imports(api):
    bad = xlsx([USER_HEADERS, ["api1", "甲", "K1"], ["api2", None, "K1"]])
    resp = api.post("/api/v1/exchange/imports/", {"spec": "org.users", "mode": "create",
                                                   "file": SimpleUploadedFile("u.xlsx", bad)}, format="multipart")
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["status"] == "failed" and data["error_count"] == 1
    assert data["errors"] == [{"row": 3, "column": "姓名", "message": "必填，不能为空"}]
    assert not User.objects.filter(username="api1").exists()

    detail = api.get(f"/api/v1/exchange/imports/{data['id']}/").json()
    assert detail["status"] == "failed" and detail["error_report_url"].endswith("/error-report/")
    assert detail["progress"] == 100
    report = api.get(detail["error_report_url"])
    assert report.status_code == 200 and read_xlsx(body(report))[1][:2] == ["api2", ""]

    good = xlsx([USER_HEADERS, ["api1", "甲", "K1"], ["api2", "乙", "K1"]])
    resp = api.post("/api/v1/exchange/imports/", {"spec": "org.users", "mode": "create",
                                                   "file": SimpleUploadedFile("u.xlsx", good)}, format="multipart")
    assert resp.json()["status"] == "succeeded" and resp.json()["created_count"] == 2
    assert [b["file_name"] for b in api.get("/api/v1/exchange/imports/").json()] == ["u.xlsx", "u.xlsx"]


def test_r_imp_1_api_refuses_unknown_specs_and_modes(api):
    resp = api.post("/api/v1/exchange/imports/", {"spec": "nope", "mode": "create",
                                                   "file": SimpleUploadedFile("u.xlsx", b"x")}, format="multipart")
    assert resp.status_code == 400 and "spec" in resp.json()
    resp = api.post("/api/v1/exchange/imports/", {"spec": "org.users", "mode": "merge",
                                                   "file": SimpleUploadedFile("u.xlsx", b"x")}, format="multipart")
    assert resp.status_code == 400 and "mode" in resp.json()


def test_r_imp_1_api_template(api):
    resp = api.get("/api/v1/exchange/templates/org.roles/")
    assert resp.status_code == 200
    assert read_xlsx(body(resp))[0] == ["角色编码", "角色名称", "说明", "启用", "排序"]
    assert api.get("/api/v1/exchange/templates/nope/").status_code == 404


def test_api_export_follows_the_filters_and_large_ones_become_jobs(api, settings):
    resp = api.post("/api/v1/exchange/exports/", {"spec": "org.users", "filters": {"q": "sub"}}, format="json")
    assert resp.status_code == 200
    rows = read_xlsx(body(resp))
    assert [r[1] for r in rows[1:]] == ["sub"]

    settings.KAM_EXPORT_INLINE_ROWS = 1
    resp = api.post("/api/v1/exchange/exports/", {"spec": "org.users", "filters": {}}, format="json")
    assert resp.status_code == 202 and resp.json()["status"] == "queued"
    assert resp.json()["url"] == f"/api/v1/system/jobs/{resp.json()['job']}/"


def test_r_perm_1_api_export_respects_the_data_scope(world):
    def see(client, records):
        api = APIClient()
        api.force_authenticate(world.user("me"))
        resp = api.post("/api/v1/exchange/exports/", {"spec": "org.users"}, format="json")
        if resp.status_code == 403:
            return set()
        ids = {str(int(r[0])) for r in read_xlsx(body(resp))[1:]}
        return {label for label, obj in records.items() if str(obj.pk) in ids}

    run_matrix(world, "users", {n: world.user(n) for n in WORLD_USERS}, [Probe("api export", see)])


def test_api_saved_views(api, world):
    resp = api.post("/api/v1/exchange/views/", {"list": "org.user", "name": "甲市", "query": "q=a&page=3"},
                    format="json")
    assert resp.status_code == 201 and resp.json()["query"] == "q=a"
    assert [v["name"] for v in api.get("/api/v1/exchange/views/?list=org.user").json()] == ["甲市"]
    assert api.delete(f"/api/v1/exchange/views/{resp.json()['id']}/").status_code == 204
    assert api.get("/api/v1/exchange/views/?list=org.user").json() == []
