"""系统管理 pages: create / edit / delete / move through the pages (services underneath), writes
refused outside the data scope (R-PERM-1), the grants editor, business lines and types."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from kam.org.models import BusinessLine, BusinessType, Grant, OrgUnit, Role, User
from tests.helpers.world import grant_role, make_user


def messages_of(resp):
    return [str(m) for m in resp.context["messages"]] if resp.context else []


# --- org units ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unit_tree_nests_units_and_offers_actions(world, sysadmin_client):
    resp = sysadmin_client.get(reverse("org:unit_list"))
    html = resp.content.decode()
    assert resp.context["tree_mode"]
    assert html.count("<details") == 4  # province, city A, city B, county 1 have children
    assert html.index("某省") < html.index("甲市") < html.index("一区") < html.index("营销部") < html.index("乙市")
    assert reverse("org:unit_move", args=[world.unit("county_1").pk]) in html
    assert "共 7 个机构" in html


@pytest.mark.django_db
def test_unit_tree_query_count_does_not_grow_with_units(world, sysadmin_client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        sysadmin_client.get(reverse("org:unit_list"))
    from kam.org.services import org_unit_create

    for i in range(60):
        org_unit_create(name=f"部门{i}", code=f"D{i}", parent=world.unit("county_2"), kind="department")
    with django_assert_max_num_queries(len(small.captured_queries)):
        resp = sysadmin_client.get(reverse("org:unit_list"))
    assert len(resp.context["page"].rows) == 67


@pytest.mark.django_db
def test_unit_create_edit_and_field_errors(world, sysadmin_client):
    city_a = world.unit("city_a")
    form = {"name": "三区", "code": "K4", "parent": city_a.pk, "kind": "region", "level": "county",
            "sort_order": 5, "enabled": "on"}
    resp = sysadmin_client.post(reverse("org:unit_create"), form)
    unit = OrgUnit.objects.get(code="K4")
    assert resp.status_code == 302 and resp["Location"] == reverse("org:unit_detail", args=[unit.pk])
    assert unit.parent == city_a and unit.path.startswith(city_a.path) and unit.depth == 2

    # The service's message is shown on the field it names; nothing is saved.
    resp = sysadmin_client.post(reverse("org:unit_create"), {**form, "code": "K5", "level": "city"})
    assert resp.status_code == 200
    assert "区县" in " ".join(resp.context["form"].errors["level"])
    assert not OrgUnit.objects.filter(code="K5").exists()
    resp = sysadmin_client.post(reverse("org:unit_create"), {**form, "name": "重复"})
    assert "code" in resp.context["form"].errors

    resp = sysadmin_client.post(reverse("org:unit_edit", args=[unit.pk]), {**form, "name": "新三区", "phone": "123"})
    assert resp.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "新三区" and unit.phone == "123"
    resp = sysadmin_client.get(reverse("org:unit_detail", args=[unit.pk]))
    assert "已保存" in resp.content.decode() and "新三区" in resp.content.decode()


@pytest.mark.django_db
def test_unit_move_moves_the_subtree(world, sysadmin_client):
    county_1, city_b, dept = world.unit("county_1"), world.unit("city_b"), world.unit("dept")
    resp = sysadmin_client.get(reverse("org:unit_move", args=[county_1.pk]))
    assert "1 个下级机构将一起移动" in resp.content.decode()
    # Its own subtree is not offered as a new parent.
    choices = [c for c, _ in resp.context["form"].fields["parent"].choices if c]
    assert dept.pk not in [int(str(c)) for c in choices]

    resp = sysadmin_client.post(reverse("org:unit_move", args=[county_1.pk]), {"parent": city_b.pk})
    assert resp.status_code == 302
    county_1.refresh_from_db()
    dept.refresh_from_db()
    assert county_1.parent == city_b
    assert dept.path.startswith(city_b.path) and dept.depth == 3

    # A county cannot go under another county: the service's message, nothing moved.
    resp = sysadmin_client.post(reverse("org:unit_move", args=[county_1.pk]),
                                {"parent": world.unit("county_3").pk})
    assert resp.status_code == 200
    assert "区县之下不能再设区域" in resp.content.decode()
    county_1.refresh_from_db()
    assert county_1.parent == city_b


@pytest.mark.django_db
def test_unit_delete_refuses_a_unit_with_sub_units_or_users(world, sysadmin_client):
    county_1 = world.unit("county_1")
    resp = sysadmin_client.post(reverse("org:unit_delete", args=[county_1.pk]))
    assert resp.status_code == 200
    assert "该机构仍有下级机构" in resp.content.decode()
    assert OrgUnit.objects.filter(pk=county_1.pk).exists()

    empty = OrgUnit.objects.get(pk=world.unit("dept").pk)
    User.objects.filter(org_unit=empty).delete()
    assert "确定删除" in sysadmin_client.get(reverse("org:unit_delete", args=[empty.pk])).content.decode()
    resp = sysadmin_client.post(reverse("org:unit_delete", args=[empty.pk]), follow=True)
    assert not OrgUnit.objects.filter(pk=empty.pk).exists()
    assert "已删除“营销部”" in resp.content.decode()


# --- users -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_r_auth_1_user_create_gives_a_one_time_password(world, sysadmin_client):
    role = Role.objects.get(code="account_manager")
    resp = sysadmin_client.post(reverse("org:user_create"), {
        "username": "zhangsan", "name": "张三", "org_unit": world.unit("county_1").pk, "roles": [role.pk],
        "superior": world.user("me").pk, "phone": "", "email": "", "password": ""}, follow=True)
    user = User.objects.get(username="zhangsan")
    assert user.must_change_password and user.roles.get() == role and user.superior == world.user("me")
    shown = " ".join(messages_of(resp))
    password = re.search(r"一次性密码为：(\S+)", shown).group(1)
    assert user.check_password(password)
    # The password is shown once only.
    assert password not in sysadmin_client.get(reverse("org:user_detail", args=[user.pk])).content.decode()


@pytest.mark.django_db
def test_user_edit_reset_password_and_delete(world, sysadmin_client):
    peer = world.user("peer")
    leader = Role.objects.get(code="leader")
    resp = sysadmin_client.post(reverse("org:user_edit", args=[peer.pk]), {
        "name": "同事", "org_unit": world.unit("county_2").pk, "roles": [leader.pk], "superior": "",
        "phone": "", "email": ""})
    assert resp.status_code == 302
    peer.refresh_from_db()
    assert peer.name == "同事" and peer.org_unit == world.unit("county_2") and not peer.is_active
    assert list(peer.roles.all()) == [leader]

    resp = sysadmin_client.post(reverse("org:user_password", args=[peer.pk]), {"password": "Temp-pass-2026"})
    assert resp.status_code == 302
    peer.refresh_from_db()
    assert peer.must_change_password and peer.check_password("Temp-pass-2026")

    resp = sysadmin_client.post(reverse("org:user_delete", args=[peer.pk]))
    assert resp.status_code == 302
    assert not User.objects.filter(pk=peer.pk).exists()


@pytest.mark.django_db
def test_r_perm_1_county_admin_cannot_touch_a_user_of_another_city(world):
    county_admin = make_user("county_admin", world.unit("county_1"))
    grant_role(county_admin, "users", "subtree")
    grant_role(county_admin, "org", "subtree")
    client = Client()
    client.force_login(county_admin)
    other = world.user("other")
    for name in ("org:user_detail", "org:user_edit", "org:user_password", "org:user_delete"):
        assert client.get(reverse(name, args=[other.pk])).status_code == 404
    assert client.post(reverse("org:user_edit", args=[other.pk]), {
        "name": "被改", "org_unit": world.unit("county_1").pk, "phone": "", "email": ""}).status_code == 404
    assert client.post(reverse("org:user_delete", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.name == "other" and other.org_unit == world.unit("county_3")

    # Moving one's own user out of the scope is refused too; nothing changes.
    peer = world.user("peer")
    resp = client.post(reverse("org:user_edit", args=[peer.pk]), {
        "name": "peer", "org_unit": world.unit("county_3").pk, "is_active": "on", "phone": "", "email": ""})
    assert resp.status_code == 200 and "org_unit" in resp.context["form"].errors
    peer.refresh_from_db()
    assert peer.org_unit == world.unit("county_1")
    # Within the scope the edit works.
    resp = client.post(reverse("org:user_edit", args=[peer.pk]), {
        "name": "同事", "org_unit": world.unit("dept").pk, "is_active": "on", "phone": "", "email": ""})
    assert resp.status_code == 302


@pytest.mark.django_db
def test_r_perm_1_view_only_grant_cannot_write(world):
    me = world.user("me")
    grant_role(me, "users", "all", actions=("view",))
    client = Client()
    client.force_login(me)
    resp = client.get(reverse("org:user_list"))
    assert resp.status_code == 200
    assert reverse("org:user_create") not in resp.content.decode()
    assert client.get(reverse("org:user_create")).status_code == 403
    assert client.post(reverse("org:user_delete", args=[world.user("peer").pk])).status_code == 403
    assert User.objects.filter(username="peer").exists()


@pytest.mark.django_db
def test_user_list_filters_sorts_and_caps(world, sysadmin_client, monkeypatch):
    url = reverse("org:user_list")
    resp = sysadmin_client.get(url, {"org_unit": world.unit("city_a").pk})
    assert {u.username for u in resp.context["page"].rows} == {"city_a", "me", "peer", "dept", "sub"}
    resp = sysadmin_client.get(url, {"q": "pee"})
    assert [u.username for u in resp.context["page"].rows] == ["peer"]
    resp = sysadmin_client.get(url, {"sort": "-username"})
    names = [u.username for u in resp.context["page"].rows]
    assert names == sorted(names, reverse=True)
    resp = sysadmin_client.get(url, {"sort": "password"})  # not a sortable column: default order
    assert resp.context["sort"] == "username"
    resp = sysadmin_client.get(url, {"per_page": 100000})
    assert resp.context["page"].per_page == 500
    resp = sysadmin_client.get(url, {"per_page": 2, "page": 2})
    assert len(resp.context["page"].rows) == 2 and resp.context["page"].number == 2

    from kam.org.views import UserListView

    monkeypatch.setattr(UserListView, "count_cap", 3)
    resp = sysadmin_client.get(url)
    assert resp.context["page"].total_display == "3+"
    assert "共 3+ 条" in resp.content.decode()


@pytest.mark.django_db
def test_user_list_query_count_is_constant(world, sysadmin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    roles = list(Role.objects.filter(code__in=["account_manager", "supervisor"]))
    url = reverse("org:user_list")
    User.objects.exclude(username="sysadmin").exclude(username="me").delete()
    for i in range(4):
        make_user(f"u{i:03d}", world.unit("county_1"), roles=roles, superior=world.user("me"))
    with CaptureQueriesContext(connection) as few:
        resp = sysadmin_client.get(url, {"per_page": 100})
    assert len(resp.context["page"].rows) == 6
    for i in range(4, 49):
        make_user(f"u{i:03d}", world.unit("dept"), roles=roles, superior=world.user("me"))
    with CaptureQueriesContext(connection) as many:
        resp = sysadmin_client.get(url, {"per_page": 100})
    assert len(resp.context["page"].rows) == 51
    assert len(many.captured_queries) == len(few.captured_queries)


# --- roles and grants --------------------------------------------------------------------------


@pytest.mark.django_db
def test_role_create_edit_delete_and_builtin_protection(world, sysadmin_client):
    resp = sysadmin_client.post(reverse("org:role_create"), {"code": "auditor", "name": "审计员",
                                                             "description": "", "enabled": "on", "sort_order": 90})
    role = Role.objects.get(code="auditor")
    assert resp.status_code == 302
    resp = sysadmin_client.post(reverse("org:role_edit", args=[role.pk]), {
        "code": "auditor", "name": "内审员", "description": "只读", "enabled": "on", "sort_order": 91})
    role.refresh_from_db()
    assert role.name == "内审员"
    resp = sysadmin_client.post(reverse("org:role_delete", args=[role.pk]))
    assert not Role.objects.filter(pk=role.pk).exists()

    admin = Role.objects.get(code="admin")
    detail = sysadmin_client.get(reverse("org:role_detail", args=[admin.pk]))
    assert reverse("org:role_delete", args=[admin.pk]) not in detail.content.decode()
    resp = sysadmin_client.post(reverse("org:role_delete", args=[admin.pk]))
    assert "内置角色不能删除" in resp.content.decode()
    assert Role.objects.filter(pk=admin.pk).exists()
    # Built-in roles can be edited (but keep their code).
    resp = sysadmin_client.post(reverse("org:role_edit", args=[admin.pk]), {
        "code": "administrator", "name": "系统管理员", "enabled": "on", "sort_order": 80, "description": ""})
    assert "内置角色的编码不能修改" in resp.content.decode()


def grant_post(forms, **rows):
    """POST data of the grants editor: every row as shown, with ``rows`` overriding some."""
    data = {}
    for form in forms:
        prefix = form.prefix
        values = {**{k: v for k, v in form.initial.items() if v not in (None, False, [])},
                  **rows.get(prefix, {})}
        for key, value in values.items():
            if value is False or value is None:
                continue
            if isinstance(value, list):
                data[f"{prefix}-{key}"] = [str(v) for v in value]
            else:
                data[f"{prefix}-{key}"] = "on" if value is True else str(value)
    return data


@pytest.mark.django_db
def test_r_perm_1_grants_editor_sets_scope_actions_units_and_window(world, sysadmin_client):
    role = Role.objects.create(code="auditor", name="审计员")
    url = reverse("org:role_grants", args=[role.pk])
    resp = sysadmin_client.get(url)
    forms = resp.context["forms"]
    from kam.core.registry import MODULES

    assert {f.module.code for f in forms} == set(MODULES)
    html = resp.content.decode()
    assert "本人及下属" in html and "自定义机构" in html and "增删改" in html

    data = grant_post(forms, users={"can_view": True, "can_change": True, "scope": "subtree",
                                    "valid_to": "2099-12-31"},
                      org={"can_view": True, "scope": "custom", "custom_units": [world.unit("city_b").pk]})
    resp = sysadmin_client.post(url, data)
    assert resp.status_code == 302, resp.context and [f.errors for f in resp.context["forms"] if f.errors]
    users = Grant.objects.get(role=role, module="users")
    assert users.can_view and users.can_change and not users.can_analyse and users.scope == "subtree"
    assert str(users.valid_to) == "2099-12-31"
    org = Grant.objects.get(role=role, module="org")
    assert org.scope == "custom" and list(org.custom_units.all()) == [world.unit("city_b")]
    assert Grant.objects.filter(role=role).count() == 2

    detail = sysadmin_client.get(reverse("org:role_detail", args=[role.pk])).content.decode()
    assert "本部门及以下" in detail and "乙市" in detail

    # Unticking every action removes the grant; an error on one row saves nothing at all.
    forms = sysadmin_client.get(url).context["forms"]
    data = grant_post(forms, users={"can_view": False, "can_change": False},
                      roles={"can_view": True, "scope": "custom"})
    data.pop("users-can_view", None)
    data.pop("users-can_change", None)
    resp = sysadmin_client.post(url, data)
    assert resp.status_code == 200
    row = next(f for f in resp.context["forms"] if f.module.code == "roles")
    assert "自定义数据范围至少需要选择一个机构" in " ".join(row.errors["custom_units"])
    assert "未保存任何内容" in resp.content.decode()
    assert Grant.objects.filter(role=role, module="users").exists()
    assert not Grant.objects.filter(role=role, module="roles").exists()

    forms = sysadmin_client.get(url).context["forms"]
    data = grant_post(forms)
    data.pop("users-can_view", None)
    data.pop("users-can_change", None)
    resp = sysadmin_client.post(url, data)
    assert resp.status_code == 302
    assert not Grant.objects.filter(role=role, module="users").exists()
    assert Grant.objects.filter(role=role, module="org").exists()


@pytest.mark.django_db
def test_grants_editor_needs_the_change_grant_of_roles(world):
    me = world.user("me")
    grant_role(me, "roles", "all", actions=("view",))
    client = Client()
    client.force_login(me)
    role = Role.objects.get(code="leader")
    assert client.get(reverse("org:role_detail", args=[role.pk])).status_code == 200
    assert client.get(reverse("org:role_grants", args=[role.pk])).status_code == 403


# --- business lines and types ------------------------------------------------------------------


@pytest.mark.django_db
def test_business_lines_and_types_crud(world, sysadmin_client):
    resp = sysadmin_client.post(reverse("org:line_create"), {"code": "ecommerce", "name": "电商",
                                                             "sort_order": 200, "enabled": "on"})
    line = BusinessLine.objects.get(code="ecommerce")
    assert resp.status_code == 302
    resp = sysadmin_client.get(reverse("org:type_create"), {"line": line.pk})
    assert resp.context["form"].initial["line"] == str(line.pk)
    resp = sysadmin_client.post(reverse("org:type_create"), {"line": line.pk, "code": "ec_parcel",
                                                             "name": "电商包裹", "sort_order": 1, "enabled": "on"})
    assert resp.status_code == 302 and resp["Location"] == reverse("org:line_detail", args=[line.pk])
    btype = BusinessType.objects.get(code="ec_parcel")
    detail = sysadmin_client.get(reverse("org:line_detail", args=[line.pk])).content.decode()
    assert "电商包裹" in detail

    resp = sysadmin_client.post(reverse("org:type_edit", args=[btype.pk]), {
        "line": line.pk, "code": "ec_parcel", "name": "电商小包", "sort_order": 1, "enabled": "on"})
    btype.refresh_from_db()
    assert btype.name == "电商小包"
    # Same name twice in a line: the error is shown, nothing saved.
    resp = sysadmin_client.post(reverse("org:type_create"), {"line": line.pk, "code": "ec2", "name": "电商小包",
                                                             "sort_order": 2})
    assert resp.status_code == 200 and resp.context["form"].errors
    assert not BusinessType.objects.filter(code="ec2").exists()

    # A line with types cannot be deleted.
    resp = sysadmin_client.post(reverse("org:line_delete", args=[line.pk]))
    assert "该专业类型仍在使用" in resp.content.decode()
    resp = sysadmin_client.post(reverse("org:type_delete", args=[btype.pk]))
    assert resp.status_code == 302
    resp = sysadmin_client.post(reverse("org:line_delete", args=[line.pk]))
    assert resp.status_code == 302
    assert not BusinessLine.objects.filter(pk=line.pk).exists()

    lines = sysadmin_client.get(reverse("org:line_list")).content.decode()
    assert "函件" in lines and "专业类型" in lines


@pytest.mark.django_db
def test_r_perm_1_assigning_roles_needs_the_change_grant_of_roles(world):
    county_admin = make_user("county_admin", world.unit("county_1"))
    grant_role(county_admin, "users", "subtree")
    grant_role(county_admin, "org", "subtree")
    grant_role(county_admin, "roles", "all", actions=("view",))
    client = Client()
    client.force_login(county_admin)
    admin_role = Role.objects.get(code="admin")
    peer = world.user("peer")
    resp = client.get(reverse("org:user_edit", args=[peer.pk]))
    assert resp.context["form"].fields["roles"].disabled
    assert "分配角色需要" in resp.content.decode()
    resp = client.post(reverse("org:user_edit", args=[peer.pk]), {
        "name": "peer", "org_unit": world.unit("county_1").pk, "roles": [admin_role.pk], "is_active": "on",
        "phone": "", "email": ""})
    assert resp.status_code == 302
    assert not peer.roles.exists()
    resp = client.post(reverse("org:user_create"), {
        "username": "x1", "name": "某人", "org_unit": world.unit("county_1").pk, "roles": [admin_role.pk],
        "phone": "", "email": "", "password": ""})
    assert resp.status_code == 302
    assert not User.objects.get(username="x1").roles.exists()
