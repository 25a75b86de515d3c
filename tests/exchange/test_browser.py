"""R-IMP-1 in a real browser: import a users file with one bad row, download the error report,
fix the row and import again."""

from __future__ import annotations

import os

import pytest
import xlsxwriter
from django.conf import settings
from django.test import Client

from kam.org.models import User

from .conftest import USER_HEADERS, read_xlsx

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def write_xlsx(path, rows):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value not in (None, ""):
                sheet.write(r, c, value)
    book.close()
    return str(path)


@pytest.fixture
def page_as_admin(live_server, admin_me):
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(admin_me)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="zh-CN", accept_downloads=True)
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_r_imp_1_import_fix_from_the_error_report_and_import_again(page_as_admin, live_server, tmp_path):
    page = page_as_admin
    bad = write_xlsx(tmp_path / "用户.xlsx", [
        USER_HEADERS,
        ["web1", "网页一", "K1", "me", "account_manager", "13700000001", "是", "Kam@pass-2026"],
        ["web2", "网页二", "K404", None, None, None, None, None],
        ["web3", "网页三", "K2", "web1", None, None, None, None],
    ])

    page.goto(f"{live_server.url}/org/users/")
    page.click('a[href^="/exchange/import/org.users/"]')  # the list's 导入 button
    page.wait_for_url("**/exchange/import/org.users/**")
    page.set_input_files("#import-file", bad)
    page.check("#mode-create")
    page.click("#import-submit")

    page.wait_for_selector("#batch-message")
    assert "导入失败" in page.inner_text("#batch-status")
    assert "3行中有1行存在错误，未导入任何数据" in page.inner_text("#batch-message")
    assert "未找到“K404”" in page.inner_text("#batch-errors")
    assert not User.objects.filter(username__startswith="web").exists()

    with page.expect_download() as info:
        page.click("#error-report-link")
    report_path = tmp_path / "report.xlsx"
    info.value.save_as(report_path)
    report = read_xlsx(report_path.read_bytes())
    assert report[0] == USER_HEADERS + ["行号", "错误信息"]
    assert report[1][0] == "web2" and report[1][-2:] == [3.0, "组织编码: 未找到“K404”"]
    assert [r[0] for r in report[2:]] == ["web1", "web3"] and report[2][-1] == ""

    # Fix the failed row: a new file written from the report's rows, imported as it is.
    fixed_rows = [report[0]] + [list(r) for r in report[1:]]
    fixed_rows[1][USER_HEADERS.index("组织编码")] = "K2"
    fixed = write_xlsx(tmp_path / "fixed.xlsx", fixed_rows)
    page.get_by_role("link", name="重新导入").click()
    page.set_input_files("#import-file", fixed)
    page.click("#import-submit")
    page.wait_for_selector("#batch-message")
    assert "导入成功" in page.inner_text("#batch-status")
    assert "新增3条" in page.inner_text("#batch-message")
    assert "web2的初始密码" in page.inner_text("#batch-notes")
    web1, web2, web3 = (User.objects.get(username=f"web{i}") for i in (1, 2, 3))
    assert web2.org_unit.code == "K2" and web3.superior == web1 and web1.check_password("Kam@pass-2026")
