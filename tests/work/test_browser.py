"""In a real browser: 未完成工作查询 → 执行 → 签入 → 外呼 → result → the item appears in 已完成工作查询
(R-WORK-1: 外呼 is disabled before 签入; R-WORK-2: 成功 + 同意办理 completes it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from kam.core import clock
from kam.work import services
from kam.work.models import State, WorkItem

from .conftest import at

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _session_cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


@pytest.mark.browser
def test_r_work_1_2_check_in_call_result_completed_in_browser(transactional_db, ww, live_server):
    from playwright.sync_api import sync_playwright

    item = services.work_item_create(user=ww["me"], customer=ww.customers["me"], title="浏览器外呼",
                                     due_at=at(clock.today() + dt.timedelta(days=2), 17))
    cookie = _session_cookie(ww["me"])
    phone = ww.customers["me"].phone
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN")
            context.add_cookies([{**cookie, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:"))
                    else outside.append(r.url))
            page.goto(f"{live_server.url}/work/items/open/")
            page.check(f"input[name=ids][value='{item.pk}']")
            page.click("button[name=op][value=execute]")
            page.wait_for_selector("#kam-callbar")
            assert page.locator("#kam-session").inner_text() == "未签入"
            assert page.locator("#kam-callbar button:has-text('外呼')").is_disabled()
            page.click("#kam-checkin")
            page.wait_for_selector("#kam-dial")
            page.click("#kam-dial")
            page.wait_for_selector("#kam-dialling")
            assert phone in page.locator("#kam-dialling").inner_text()
            page.check("input[name=branch][value=success]")
            page.select_option("#id_sub_result", "agree")
            page.fill("#id_notes", "客户同意办理")
            page.click("#kam-submit")
            page.wait_for_selector(".kam-executions")
            assert "同意办理" in page.locator(".kam-executions").inner_text()
            page.goto(f"{live_server.url}/work/items/done/")
            assert "浏览器外呼" in page.locator("table").inner_text()
            page.goto(f"{live_server.url}/work/items/open/")
            assert "浏览器外呼" not in page.locator("table").inner_text()
        finally:
            browser.close()
    assert not outside, outside
    item.refresh_from_db()
    assert item.state == State.DONE and item.result == "success"
    assert WorkItem.objects.filter(state=State.OPEN).count() == 0
