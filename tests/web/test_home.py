"""Home page and page frame: greeting, unit, roles, subsystem tiles, pending-items panels."""

import pytest
from django.test import Client
from django.urls import reverse

from kam.org.models import Role
from tests.helpers.world import make_user

SUBSYSTEMS_ZH = ["营销管理", "客户管理", "用邮管理", "KPI管理", "流程管理", "信息共享", "系统管理"]


@pytest.mark.django_db
def test_anonymous_is_sent_to_login():
    resp = Client().get("/")
    assert resp.status_code == 302
    assert resp["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_home_shows_greeting_unit_roles_and_the_seven_subsystems(world, sysadmin_client, sysadmin):
    resp = sysadmin_client.get("/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "您好，sysadmin" in html
    assert "某省" in html
    assert "系统管理员" in html
    for label in SUBSYSTEMS_ZH:
        assert label in html
    # The administrator's menu holds the org pages under 系统管理.
    for label, url in (("组织管理", "org:unit_list"), ("用户管理", "org:user_list"),
                       ("角色管理", "org:role_list"), ("专业类型", "org:line_list")):
        assert label in html
        assert reverse(url) in html


@pytest.mark.django_db
def test_pending_password_panel_for_administrators_only(world, sysadmin_client):
    make_user("newbie", world.unit("county_1"), must_change_password=True)
    resp = sysadmin_client.get("/")
    panels = {p["name"]: p["data"] for p in resp.context["panels"]}
    assert panels["org.pending_passwords"].count == 1
    assert "必须修改初始密码的用户" in resp.content.decode()

    plain = make_user("plain", world.unit("county_1"), roles=[Role.objects.get(code="account_manager")])
    client = Client()
    client.force_login(plain)
    resp = client.get("/")
    names = [p["name"] for p in resp.context["panels"]]
    assert "org.pending_passwords" not in names
    assert "org.my_grants" in names
    assert "我的权限" in resp.content.decode()


@pytest.mark.django_db
def test_user_without_grants_sees_disabled_subsystems_and_403_on_admin_pages(world):
    client = Client()
    client.force_login(world.user("me"))
    resp = client.get("/")
    assert resp.status_code == 200
    assert reverse("org:user_list") not in resp.content.decode()
    resp = client.get(reverse("org:user_list"))
    assert resp.status_code == 403
    assert "没有权限" in resp.content.decode()


@pytest.mark.django_db
def test_404_page_in_chinese(world, sysadmin_client):
    resp = sysadmin_client.get(reverse("org:user_detail", args=[999999]))
    assert resp.status_code == 404
    assert "不存在" in resp.content.decode()
