"""REQUIREMENTS §2 in a real browser: an administrator creates a manager step by step (nothing saved
before 完成), adds a training row on the detail page (htmx) and disables the manager."""

import re

import pytest

from kam.managers.models import AccountManager, ManagerStatus
from kam.org.models import Role, User
from tests.helpers.world import PASSWORD, build_world, make_user


@pytest.mark.browser
def test_section_2_create_in_steps_and_disable_in_the_browser(transactional_db, live_server, browser_page):
    world = build_world()
    make_user("sysadmin", world.unit("province"), roles=[Role.objects.get(code="admin")])
    page = browser_page
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "sysadmin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{base}/")
    page.click(".kam-sidebar a:has-text('客户经理管理')")
    page.click(".kam-toolbar a:has-text('新增')")

    # Step 1: basic information with a new login.
    page.fill("#id_username", "km_b1")
    page.select_option("#id_org_unit", str(world.unit("county_1").pk))
    page.fill("#id_superior", "me")
    page.fill("#id_name", "吴十")
    page.fill("#id_employee_no", "KB001")
    page.select_option("#id_gender", "F")
    page.fill("#id_phone", "13600000000")
    page.click("button:has-text('下一步')")
    # Step 2: two trainings.
    page.fill("#id_start_date", "2021-03-01")
    page.fill("#id_course", "大客户营销")
    page.click("button:has-text('增加')")
    page.fill("#id_start_date", "2022-03-01")
    page.fill("#id_course", "商务礼仪")
    page.click("button:has-text('下一步')")
    # Step 3: one earlier position.
    page.fill("#id_start_date", "2012-01-01")
    page.fill("#id_employer", "某速递公司")
    page.click("button:has-text('下一步')")
    # Step 4: confirm — nothing is saved yet.
    summary = page.locator(".card-body").inner_text()
    for text in ("吴十", "KB001", "大客户营销", "商务礼仪", "某速递公司"):
        assert text in summary
    assert not AccountManager.objects.exists() and not User.objects.filter(username="km_b1").exists()
    page.fill("#id_password", "Init@pass-2026")
    page.click("button:has-text('完成')")
    page.wait_for_url(re.compile(r".*/managers/\d+/$"))
    manager = AccountManager.objects.get(employee_no="KB001")
    assert manager.trainings.count() == 2 and manager.experiences.count() == 1
    assert manager.user.must_change_password

    # The training tab: add a row without leaving the page.
    page.click("#tab-trainings")
    page.fill("#id_training-start_date", "2023-05-01")
    page.fill("#id_training-course", "合同实务")
    page.click("#manager-trainings button:has-text('增加')")
    page.locator("#manager-trainings tr.kam-training-row:has-text('合同实务')").wait_for()
    assert manager.trainings.count() == 3

    # Disable with a reason: the page says the login stays.
    page.click("a:has-text('停用')")
    assert "用户管理" in page.locator(".alert-info").inner_text()
    page.fill("#id_reason", "调离岗位")
    page.click("button[type=submit]:has-text('停用')")
    page.wait_for_url(re.compile(r".*/managers/\d+/$"))
    assert "调离岗位" in page.locator(".kam-manager-status").inner_text()
    manager.refresh_from_db()
    assert manager.status == ManagerStatus.DISABLED and manager.user.is_active
