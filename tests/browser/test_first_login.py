"""R-AUTH-1 in a real browser: an administrator creates a user with a one-time password; the
user logs in, is forced to change it, lands on the home page, and switches the language."""

import re

import pytest

from kam.org.models import Role, User
from tests.helpers.world import PASSWORD, build_world, make_user

NEW_PASSWORD = "Browser-pass-2026"


@pytest.mark.browser
def test_r_auth_1_first_login_in_the_browser(transactional_db, live_server, browser_page):
    world = build_world()
    make_user("sysadmin", world.unit("province"), roles=[Role.objects.get(code="admin")])
    page = browser_page
    base = live_server.url

    # The administrator creates the account.
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "sysadmin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{base}/")
    page.click(".kam-sidebar a:has-text('用户管理')")
    page.click(".kam-toolbar a:has-text('新增')")
    page.fill("#id_username", "lisi")
    page.fill("#id_name", "李四")
    page.select_option("#id_org_unit", str(world.unit("county_1").pk))
    page.check(f"input[name=roles][value='{Role.objects.get(code='account_manager').pk}']")
    page.click("button:has-text('保存')")
    message = page.locator(".alert-warning").inner_text()
    one_time = re.search(r"一次性密码为：(\S+)", message).group(1)
    assert User.objects.get(username="lisi").must_change_password
    page.click("button:has-text('退出登录')")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))

    # The new user logs in and must change the one-time password first.
    page.fill("#id_username", "lisi")
    page.fill("#id_password", one_time)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(re.compile(r".*/accounts/password/.*"))
    assert "必须先修改密码" in page.locator(".kam-must-change").inner_text()
    page.goto(f"{base}/org/users/")  # no way around it
    assert "/accounts/password/" in page.url
    page.fill("#id_old_password", one_time)
    page.fill("#id_new_password", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("button[type=submit]:has-text('修改密码')")
    page.wait_for_url(f"{base}/")
    assert "您好，李四" in page.locator(".kam-greeting").inner_text()
    assert "密码已修改" in page.content()
    assert not User.objects.get(username="lisi").must_change_password

    # English and back.
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert "Hello, 李四" in page.locator(".kam-greeting").inner_text()
    assert "Pending items" in page.content()
    page.click("button[name=language][value=zh-hans]")
    page.wait_for_load_state()
    assert "您好，李四" in page.locator(".kam-greeting").inner_text()
    assert "待办事项" in page.content()
