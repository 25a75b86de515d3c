"""R-IMP-1 pages, list exports (R-PERM-1, §11 "every list"), saved views (场景)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from kam.exchange.models import ImportBatch, SavedView
from kam.org.models import User
from tests.helpers.matrix import WORLD_USERS, export_probe, page_list_probe, run_matrix
from tests.helpers.world import grant_role

from .conftest import UNIT_HEADERS, USER_HEADERS, body, read_xlsx, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_me):
    client.force_login(admin_me)
    return client


def test_r_imp_1_template_has_the_columns_dropdowns_and_the_instructions_sheet(admin_client):
    resp = admin_client.get("/exchange/template/org.units/")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    data = body(resp)
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.sheet_names == ["组织机构", "填写说明", "_values"]
    assert [str(m.visible).rsplit(".", 1)[-1] for m in book.sheets_metadata] == ["Visible", "Visible", "Hidden"]
    assert read_xlsx(data)[0] == UNIT_HEADERS

    # Dropdowns (list validations) for the choice and yes/no columns, fed from the hidden sheet.
    sheet1 = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    validations = dict(re.findall(r'<dataValidation type="list"[^>]*sqref="([A-Z]+)2:[A-Z]+1048576"[^>]*>'
                                  r"<formula1>([^<]+)</formula1>", sheet1))
    assert validations == {"D": "'_values'!$D$2:$D$4", "E": "'_values'!$E$2:$E$4",
                           "F": "'_values'!$F$2:$F$3", "J": "'_values'!$J$2:$J$3"}
    values = read_xlsx(data, "_values")
    column = values[0].index("大客户中心")
    assert [row[column] for row in values[:3]] == ["大客户中心", "是", "否"]
    column = values[0].index("组织类型")
    assert [row[column] for row in values[1:4]] == ["区域", "部门", "室"]

    notes = read_xlsx(data, "填写说明")
    header_row = next(i for i, r in enumerate(notes) if r[0] == "列名")
    assert notes[header_row] == ["列名", "类型", "是否必填", "可选值", "格式说明"]
    by_column = {r[0]: r for r in notes[header_row + 1:]}
    assert set(by_column) == set(UNIT_HEADERS)
    assert by_column["组织编码"][1:3] == ["文本", "是"] and "最多40个字符" in by_column["组织编码"][4]
    assert by_column["组织类型"][1] == "选项" and by_column["组织类型"][2] == "否"
    assert by_column["排序"][1] == "整数"
    assert by_column["上级组织编码"][1] == "关联编码"


def test_r_imp_1_template_needs_the_change_grant(client, world):
    me = world.user("me")
    grant_role(me, "org", "all", actions=("view",))
    client.force_login(me)
    assert client.get("/exchange/template/org.units/").status_code == 403
    assert client.get("/exchange/import/org.units/").status_code == 403
    assert client.get("/exchange/template/nosuch.spec/").status_code == 404


def test_r_imp_1_import_page_shows_errors_and_the_report_then_imports_the_fixed_file(admin_client):
    page = admin_client.get("/exchange/import/org.users/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "导入用户" in html and "下载导入模板" in html and "仅新增" in html and "更新已有" in html

    bad = xlsx([USER_HEADERS, ["u1", "一号", "K1", None, None, None, None, None],
                ["u2", "二号", "KX", None, None, None, None, None]])
    resp = admin_client.post("/exchange/import/org.users/",
                             {"mode": "create", "file": SimpleUploadedFile("用户.xlsx", bad)})
    batch = ImportBatch.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/exchange/imports/{batch.pk}/"
    detail = admin_client.get(resp["Location"]).content.decode()
    assert "导入失败" in detail and "2行中有1行存在错误，未导入任何数据" in detail
    assert "<td>3</td><td>组织编码</td><td>未找到“KX”</td>" in detail
    assert not User.objects.filter(username="u1").exists()

    report = admin_client.get(f"/exchange/imports/{batch.pk}/error-report/")
    assert report.status_code == 200
    assert 'filename="' in report["Content-Disposition"] or "filename*=" in report["Content-Disposition"]
    rows = read_xlsx(body(report))
    assert rows[0][-2:] == ["行号", "错误信息"] and rows[1][-2:] == [3.0, "组织编码: 未找到“KX”"]

    fixed = xlsx([USER_HEADERS, ["u1", "一号", "K1"], ["u2", "二号", "K2"]])
    resp = admin_client.post("/exchange/import/org.users/",
                             {"mode": "create", "file": SimpleUploadedFile("f.xlsx", fixed)})
    detail = admin_client.get(resp["Location"]).content.decode()
    assert "导入成功" in detail and "新增2条，更新0条，未变0条。" in detail
    assert "u1的初始密码" in detail  # generated one-time passwords are shown to the importer
    # ... once: then they are no longer stored in clear.
    assert ImportBatch.objects.get(file_name="f.xlsx").notes == {}
    assert "u1的初始密码" not in admin_client.get(resp["Location"]).content.decode()
    assert User.objects.get(username="u2").org_unit.code == "K2"

    listing = admin_client.get("/exchange/imports/").content.decode()
    assert "用户.xlsx" in listing and "f.xlsx" in listing


def test_r_imp_1_import_page_refuses_a_non_xlsx_file_with_a_message(admin_client):
    resp = admin_client.post("/exchange/import/org.users/",
                             {"mode": "create", "file": SimpleUploadedFile("users.csv", b"a,b\n")})
    assert resp.status_code == 400
    assert "只能导入Excel文件（.xlsx）" in resp.content.decode()
    assert not ImportBatch.objects.exists()


def test_r_perm_1_import_batches_are_seen_by_their_owner_only(client, world, admin_me):
    from kam.exchange import services

    batch = services.import_start(user=admin_me, spec_code="org.units", mode="create",
                                  file=SimpleUploadedFile("x.xlsx", xlsx([UNIT_HEADERS, ["Z1", "Z", "CA"]])))
    other = world.user("other")
    grant_role(other, "imports", "own")
    client.force_login(other)
    assert client.get(f"/exchange/imports/{batch.pk}/").status_code == 404
    assert "x.xlsx" not in client.get("/exchange/imports/").content.decode()


def test_r_perm_1_user_export_respects_the_data_scope(world):
    records = {name: world.user(name) for name in WORLD_USERS}
    run_matrix(world, "users", records, [
        export_probe("/exchange/export/org.users/"),
        export_probe("/org/users/?export=xlsx"),
        page_list_probe("/org/users/"),
    ])


def test_r_perm_1_org_unit_export_respects_the_data_scope(world):
    records = {"county_1": world.unit("county_1"), "dept": world.unit("dept"), "county_2": world.unit("county_2"),
               "city_a": world.unit("city_a"), "city_b": world.unit("city_b"), "county_3": world.unit("county_3")}
    expected = {"all": set(records), "custom": {"city_b", "county_3"}, "unit": {"county_1"},
                "subtree": {"county_1", "dept"}, "own": {"county_1"}, "own_sub": {"county_1"},
                "two_roles": {"county_1"}}
    run_matrix(world, "org", records, [export_probe("/exchange/export/org.units/"),
                                       export_probe("/org/units/?export=xlsx")], expected=expected)


def test_export_holds_exactly_what_the_filtered_list_shows(admin_client, world):
    params = {"q": "e"}  # account or name contains "e"
    page = admin_client.get("/org/users/", {**params, "per_page": 500})
    shown = [u.username for u in page.context["page"].rows]
    assert sorted(shown) == ["dept", "me", "other", "peer"]
    for url in ("/org/users/?q=e&export=xlsx", "/exchange/export/org.users/?q=e"):
        rows = read_xlsx(body(admin_client.get(url)))
        assert rows[0][:4] == ["ID", "账号", "姓名", "组织编码"]
        assert sorted(r[1] for r in rows[1:]) == sorted(shown)
    sub = read_xlsx(body(admin_client.get("/exchange/export/org.users/?q=sub")))
    assert sub[1][1:5] == ["sub", "sub", "K2", "me"]


def test_export_is_written_to_the_operation_log(admin_client):
    from kam.system.models import OperationLog

    admin_client.get("/exchange/export/org.units/")
    entry = OperationLog.objects.get(action="export")
    assert entry.username == "me" and entry.module == "org" and "组织机构" in entry.description


def test_exports_and_imports_are_linked_from_the_list_toolbar(admin_client):
    html = admin_client.get("/org/users/?q=me").content.decode()
    assert 'href="/org/users/?q=me&amp;export=xlsx"' in html
    assert 'href="/exchange/import/org.users/?next=%2Forg%2Fusers%2F"' in html
    assert "/exchange/views/org.user/?next=%2Forg%2Fusers%2F%3Fq%3Dme" in html


def test_large_exports_run_as_a_background_job_with_a_download_link(admin_client, settings):
    from kam.jobs.models import Job, JobStatus
    from kam.jobs.services import execute_job

    settings.KAM_EXPORT_INLINE_ROWS = 2
    resp = admin_client.get("/exchange/export/org.users/?q=e")
    job = Job.objects.get(kind="exchange.export")
    assert resp.status_code == 302 and resp["Location"] == f"/exchange/jobs/{job.pk}/"
    assert "progress-bar" in admin_client.get(resp["Location"]).content.decode()
    assert execute_job(job.pk) == JobStatus.SUCCEEDED
    page = admin_client.get(resp["Location"]).content.decode()
    assert "共4行。" in page and f"/jobs/{job.pk}/download/" in page
    rows = read_xlsx(body(admin_client.get(f"/jobs/{job.pk}/download/")))
    assert sorted(r[1] for r in rows[1:]) == ["dept", "me", "other", "peer"]


def test_scenes_mine_and_my_subordinates_narrow_the_list_and_its_export(admin_client, world):
    def shown(url):
        return sorted(u.username for u in admin_client.get(url).context["page"].rows)

    assert shown("/org/users/?scene=mine") == ["me"]
    assert shown("/org/users/?scene=subordinates") == ["sub"]
    rows = read_xlsx(body(admin_client.get("/org/users/?scene=subordinates&export=xlsx")))
    assert [r[1] for r in rows[1:]] == ["sub"]
    page = admin_client.get("/exchange/views/org.user/?next=/org/users/").content.decode()
    assert "我负责的" in page and "下属负责的" in page


def test_r_perm_1_a_scene_never_shows_more_than_the_scope(client, world):
    me = world.user("me")
    grant_role(me, "users", "own")
    client.force_login(me)
    rows = client.get("/org/users/?scene=subordinates").context["page"].rows
    assert list(rows) == []


def test_saved_views_are_personal_or_shared_and_deleted_by_their_owner(admin_client, world):
    from django.test import Client

    resp = admin_client.post("/exchange/views/org.user/?next=/org/users/%3Fq%3De",
                             {"name": "含e的用户", "next": "/org/users/?q=e&page=2", "query": "q=e&page=2",
                              "shared": "1"})
    assert resp.status_code == 302 and resp["Location"] == "/org/users/?q=e"
    admin_client.post("/exchange/views/org.user/", {"name": "只看我", "next": "/org/users/", "query": "q=me"})
    view = SavedView.objects.get(name="含e的用户")
    assert (view.query, view.shared, view.user.username) == ("q=e", True, "me")

    page = admin_client.get("/exchange/views/org.user/?next=/org/users/%3Fq%3De").content.decode()
    assert "含e的用户" in page and "只看我" in page and 'href="/org/users/?q=e"' in page

    peer = world.user("peer")
    grant_role(peer, "users", "all")
    client = Client()
    client.force_login(peer)
    page = client.get("/exchange/views/org.user/?next=/org/users/").content.decode()
    assert "含e的用户" in page and "只看我" not in page  # shared views only
    resp = client.post(f"/exchange/views/{view.pk}/delete/", {"next": "/org/users/"})
    assert resp.status_code == 404 and SavedView.objects.filter(pk=view.pk).exists()

    dup = admin_client.post("/exchange/views/org.user/", {"name": "只看我", "next": "/org/users/", "query": "q=x"})
    assert dup.status_code == 400 and "您已有名为“只看我”的场景" in dup.content.decode()
    admin_client.post(f"/exchange/views/{view.pk}/delete/", {"next": "/org/users/"})
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_a_large_list_export_job_keeps_the_lists_filter_and_sort(admin_client, settings):
    from kam.jobs.models import Job
    from kam.jobs.services import execute_job

    settings.KAM_EXPORT_INLINE_ROWS = 1
    resp = admin_client.get("/org/users/?q=e&sort=-username&export=xlsx")
    job = Job.objects.get(kind="exchange.export")
    assert resp["Location"] == f"/exchange/jobs/{job.pk}/"
    execute_job(job.pk)
    rows = read_xlsx(body(admin_client.get(f"/jobs/{job.pk}/download/")))
    assert [r[1] for r in rows[1:]] == ["peer", "other", "me", "dept"]


def test_r_imp_1_a_large_import_shows_progress_until_the_job_is_done(admin_client, settings):
    from kam.jobs.services import execute_job
    from kam.system.models import OperationLog

    settings.KAM_IMPORT_INLINE_ROWS = 1
    data = xlsx([USER_HEADERS, ["j1", "甲", "K1"], ["j2", "乙", "K1"]])
    resp = admin_client.post("/exchange/import/org.users/",
                             {"mode": "create", "file": SimpleUploadedFile("j.xlsx", data)})
    batch = ImportBatch.objects.get()
    page = admin_client.get(resp["Location"]).content.decode()
    assert "progress-bar" in page and f'hx-get="/exchange/imports/{batch.pk}/status/"' in page
    poll = admin_client.get(f"/exchange/imports/{batch.pk}/status/", HTTP_HX_REQUEST="true")
    assert poll.status_code == 200 and "progress-bar" in poll.content.decode()

    execute_job(batch.job_id)
    poll = admin_client.get(f"/exchange/imports/{batch.pk}/status/", HTTP_HX_REQUEST="true")
    assert poll.status_code == 204 and poll["HX-Refresh"] == "true"
    page = admin_client.get(resp["Location"]).content.decode()
    assert "导入成功" in page and "新增2条" in page
    entry = OperationLog.objects.get(action="import")
    assert entry.username == "me" and entry.module == "users" and "j.xlsx" in entry.description


def test_list_templates_can_include_the_scene_dropdown_and_the_buttons(rf, admin_me, world):
    from django.template import Context, Template

    from kam.exchange import services

    services.saved_view_create(user=admin_me, list_key="org.users", name="一区的人", query="org_unit=1")
    request = rf.get("/org/users/", {"q": "e"})
    request.user = admin_me
    html = Template('{% load exchange %}{% scenes "org.users" %}{% exchange_buttons "org.users" %}').render(
        Context({"request": request, "csrf_token": "t"}))
    assert "我负责的" in html and "下属负责的" in html and "一区的人" in html
    assert 'href="/org/users/?scene=mine"' in html and 'name="query" value="q=e"' in html
    assert 'href="/exchange/export/org.users/?q=e"' in html and 'href="/exchange/import/org.users/?next=' in html


@pytest.mark.parametrize("spec", ["org.users", "org.units", "org.roles"])
def test_r_imp_1_an_export_imports_back_unchanged_in_update_mode(admin_client, spec):
    exported = body(admin_client.get(f"/exchange/export/{spec}/"))
    rows = read_xlsx(exported)
    resp = admin_client.post(f"/exchange/import/{spec}/",
                             {"mode": "update", "file": SimpleUploadedFile("export.xlsx", exported)})
    batch = ImportBatch.objects.get(pk=resp["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert batch.status == "succeeded", batch.errors
    assert (batch.rows, batch.unchanged_count, batch.updated_count, batch.created_count) == (len(rows) - 1,
                                                                                             len(rows) - 1, 0, 0)
