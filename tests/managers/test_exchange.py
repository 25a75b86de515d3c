"""Batch import and export of account managers (REQUIREMENTS §2: 批量导入 / 批量导出; R-IMP-1;
R-PERM-1: the export holds only the user's scope)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.exchange import services
from kam.exchange.models import BatchStatus
from kam.managers.models import AccountManager
from kam.org.models import BusinessLine, User
from tests.exchange.conftest import read_xlsx, xlsx
from tests.helpers.world import grant_role

pytestmark = pytest.mark.django_db

HEADERS = ["工号", "账号", "姓名", "所属机构编码", "初始密码", "性别", "出生日期", "联系电话", "学历", "入职日期",
           "服务专业", "备注"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def importer(world):
    me = world.user("me")
    for module in ("managers", "org", "users", "imports"):
        grant_role(me, module, "all")
    return me


def run(user, rows, mode="create"):
    return services.import_start(user=user, spec_code="managers.managers",
                                 file=SimpleUploadedFile("managers.xlsx", xlsx(rows)), mode=mode)


def test_section_2_import_good_file(world, importer):
    lines = list(BusinessLine.objects.order_by("sort_order")[:2])
    batch = run(importer, [
        HEADERS,
        ["KM001", "new1", "新人甲", "K1", "Init@pass-2026", "男", "1990-03-04", 13900000001, "大学本科", "2015-07-01",
         f"{lines[0].name}、{lines[1].name}", "备注一"],
        ["KM002", "peer", None, None, None, "女", None, None, None, None, None, None],
        ["KM003", "new2", "新人乙", "K2", None, None, None, None, None, None, None, None],
    ])
    assert batch.status == BatchStatus.SUCCEEDED, batch.errors
    assert batch.created_count == 3
    m1 = AccountManager.objects.get(employee_no="KM001")
    assert (m1.user.username, m1.user.name, m1.user.org_unit.code, m1.gender, m1.education) == (
        "new1", "新人甲", "K1", "M", "bachelor")
    assert m1.user.phone == "13900000001" and m1.user.must_change_password
    assert m1.user.check_password("Init@pass-2026")
    assert set(m1.business_lines.all()) == set(lines)
    assert AccountManager.objects.get(employee_no="KM002").user == world.user("peer")
    generated = batch.notes["4"].split("：")[1]
    assert User.objects.get(username="new2").check_password(generated)


def test_section_2_import_bad_file_saves_nothing(world, importer):
    batch = run(importer, [
        HEADERS,
        ["KM010", "new10", "好人", "K1", None, None, None, None, None, None, None, None],
        ["KM011", "new11", None, "K1", None, "无", None, None, "博士后", None, "没有的专业", None],
        ["KM012", "new12", "某人", None, None, None, None, None, None, None, None, None],
    ])
    assert batch.status != BatchStatus.SUCCEEDED
    problems = {(e["row"], e["column"]) for e in batch.errors}
    assert {(3, "性别"), (3, "学历"), (3, "服务专业"), (4, "所属机构编码")} <= problems, batch.errors
    assert not AccountManager.objects.exists()
    assert not User.objects.filter(username__startswith="new1").exists()


def test_r_perm_1_export_respects_scope(world, profiles):
    me = world.user("me")
    grant_role(me, "managers", "unit", actions=("view",))
    from django.test import Client

    client = Client()
    client.force_login(me)
    resp = client.get("/managers/", {"export": "xlsx"})
    assert resp.status_code == 200
    rows = read_xlsx(b"".join(resp.streaming_content) if resp.streaming else resp.content)
    assert rows[0][:3] == ["ID", "工号", "账号"]
    assert sorted(r[2] for r in rows[1:]) == ["me", "peer"]


def test_section_2_import_template_and_page(world, importer):
    from django.test import Client

    client = Client()
    client.force_login(importer)
    assert client.get("/exchange/import/managers.managers/").status_code == 200
    resp = client.get("/exchange/template/managers.managers/")
    assert resp.status_code == 200
    rows = read_xlsx(b"".join(resp.streaming_content) if resp.streaming else resp.content)
    assert rows[0][:4] == ["工号", "账号", "姓名", "所属机构编码"]
    assert "状态" not in rows[0]  # export-only columns are not offered for import
