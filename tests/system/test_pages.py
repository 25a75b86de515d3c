"""Pages of 系统管理: what administrators and readers see (R-PERM-1 matrix over every list and
detail page; forms show service errors on the field; forced logout from the page)."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from kam.system import services
from kam.system.models import DictType, LoginLog, OperationLog, Parameter, UserSession
from tests.helpers.matrix import WORLD_USERS, export_probe, page_detail_probe, page_list_probe, run_matrix
from tests.helpers.world import grant_role

pytestmark = pytest.mark.django_db

GLOBAL_EXPECTED = {scope: {"a", "b"} for scope in ("all", "custom", "unit", "subtree", "own", "own_sub",
                                                     "two_roles")}


def per_user(world, make):
    return {name: make(world.user(name)) for name in WORLD_USERS}


def admin_client(world, *modules):
    me = world.user("me")
    for module in modules:
        grant_role(me, module, "all")
    client = Client()
    client.force_login(me)
    return client


def test_r_perm_1_log_pages_matrix(world):
    ops = per_user(world, lambda u: services.log_operation(user=u, action="update", description=u.username))
    run_matrix(world, "operation_log", ops, [
        page_list_probe("/system/operation-log/"),
        page_detail_probe(lambda o: f"/system/operation-log/{o.pk}/"),
        export_probe("/system/operation-log/?export=xlsx"),
    ])
    logins = per_user(world, lambda u: LoginLog.objects.create(username=u.username, user=u, org_unit=u.org_unit))
    run_matrix(world, "login_log", logins, [
        page_list_probe("/system/login-log/"),
        export_probe("/system/login-log/?export=xlsx"),
    ])


def test_r_perm_1_online_and_announcement_pages_matrix(world):
    def session_of(user):
        store = SessionStore()
        store.create()
        return UserSession.objects.create(session_key=store.session_key, user=user)

    run_matrix(world, "online_users", per_user(world, session_of), [page_list_probe("/system/online/")])

    def announcement_of(user):
        a = services.announcement_create(title=user.username)  # a draft: readers do not see it
        a.created_by, a.org_unit = user, user.org_unit
        a.save()
        return a

    run_matrix(world, "announcements", per_user(world, announcement_of), [
        page_list_probe("/system/announcements/"),
        page_detail_probe(lambda o: f"/system/announcements/{o.pk}/"),
    ])


@pytest.mark.parametrize("module,model,url", [
    ("dictionaries", DictType, "/system/dicts/"),
    ("parameters", Parameter, "/system/parameters/"),
])
def test_r_perm_1_catalogue_pages_matrix(world, module, model, url):
    first, second = model.objects.order_by("pk")[:2]
    run_matrix(world, module, {"a": first, "b": second}, [page_list_probe(url)], expected=GLOBAL_EXPECTED)


def test_dictionary_pages_show_coloured_tags_and_add_values(world):
    client = admin_client(world, "dictionaries")
    level = DictType.objects.get(code="customer_level")
    page = client.get(f"/system/dicts/{level.pk}/").content.decode()
    assert '<span class="badge text-bg-danger">钻石级客户</span>' in page
    resp = client.post(f"/system/dicts/{level.pk}/values/new/", {
        "value": "vip", "label": "贵宾客户", "sort_order": 5, "tag_colour": "#ff00ff", "is_default": "on",
        "enabled": "on"})
    assert resp.status_code == 302
    assert level.values.get(is_default=True).value == "vip"
    entry = OperationLog.objects.get()
    assert (entry.action, entry.module, entry.result) == ("create", "dictionaries", "success")
    resp = client.post(f"/system/dicts/{level.pk}/values/new/", {
        "value": "bad", "label": "坏颜色", "sort_order": 1, "tag_colour": "rainbow", "enabled": "on"})
    assert resp.status_code == 200
    assert "tag_colour" in resp.context["form"].errors


def test_parameter_page_refuses_a_wrong_type_on_the_field(world):
    client = admin_client(world, "parameters")
    p = Parameter.objects.get(key="assessment.compute_day")
    resp = client.post(f"/system/parameters/{p.pk}/edit/", {"name": p.name, "value": "abc", "remark": ""})
    assert resp.status_code == 200
    assert resp.context["form"].errors["value"]
    resp = client.post(f"/system/parameters/{p.pk}/edit/", {"name": p.name, "value": "8", "remark": ""})
    assert resp.status_code == 302
    from kam.audit.models import AuditEntry
    from kam.system.selectors import param

    assert param("assessment.compute_day") == 8
    change = AuditEntry.objects.get(object_id=str(p.pk), content_type__model="parameter")  # who changed what
    assert change.actor == world.user("me") and change.changes["value"] == ["7", "8"]
    entries = list(OperationLog.objects.order_by("id").values_list("action", "result"))
    assert entries == [("update", "success"), ("update", "success")]  # a re-shown form is not a failure


def test_announcement_content_is_escaped_for_readers(world):
    a = services.announcement_create(title="系统升级通知", content="今晚升级\n<script>alert(1)</script>", publish=True)
    reader = Client()
    reader.force_login(world.user("other"))
    resp = reader.get(f"/system/announcements/{a.pk}/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "系统升级通知" in body and "&lt;script&gt;" in body and "<script>alert" not in body
    hidden = services.announcement_create(title="甲市", for_all=False, units=[world.unit("city_a")], publish=True)
    assert reader.get(f"/system/announcements/{hidden.pk}/").status_code == 404


def test_force_logout_from_the_online_page(world):
    peer = Client()
    peer.force_login(world.user("peer"))
    admin = admin_client(world, "online_users")
    page = admin.get("/system/online/")
    rows = {s.user.username: s for s in page.context["page"].rows}
    assert set(rows) == {"me", "peer"}
    html = page.content.decode()
    assert f"/system/online/{rows['peer'].pk}/force-logout/" in html
    assert f"/system/online/{rows['me'].pk}/force-logout/" not in html  # not one's own session
    resp = admin.post(f"/system/online/{rows['peer'].pk}/force-logout/")
    assert resp.status_code == 302
    assert peer.get("/api/v1/auth/me/").status_code in (401, 403)
    entry = OperationLog.objects.get()
    assert (entry.action, entry.user) == ("force_logout", world.user("me"))


def test_clearing_the_log_from_the_page(world):
    import datetime as dt

    from kam.core import clock

    old = services.log_operation(user=world.user("peer"), action="other", description="旧记录")
    OperationLog.objects.filter(pk=old.pk).update(created_at=clock.now() - dt.timedelta(days=365))
    client = admin_client(world, "operation_log")
    assert client.post("/system/operation-log/clear/").status_code == 302
    assert not OperationLog.objects.filter(description="旧记录").exists()
    assert OperationLog.objects.filter(action="delete", module="operation_log").count() == 1


def test_operation_log_export_follows_the_filter(world):
    import io

    from python_calamine import CalamineWorkbook

    services.log_operation(user=world.user("peer"), action="export", module="operation_log", description="导出甲")
    services.log_operation(user=world.user("dept"), action="delete", description="删除乙")
    client = admin_client(world, "operation_log")
    resp = client.get("/system/operation-log/", {"action": "export", "export": "xlsx"})
    assert resp.status_code == 200
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    rows = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    assert rows[0][:5] == ["ID", "时间", "账号", "模块", "业务类型"]
    assert [(r[2], r[3], r[4], r[5]) for r in rows[1:]] == [("peer", "操作日志", "导出", "导出甲")]


def test_home_page_lists_the_readers_announcements(world):
    services.announcement_create(title="全员大会通知", publish=True)
    services.announcement_create(title="乙市专项通知", for_all=False, units=[world.unit("city_b")], publish=True)
    reader = Client()
    reader.force_login(world.user("me"))
    body = reader.get("/").content.decode()
    assert "全员大会通知" in body and "乙市专项通知" not in body
