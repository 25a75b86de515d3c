"""In a real browser (Debian chromium), §7 beyond the seeds (decision 0026): an account manager
appeals a published result from 考核结果确认, the supervisor accepts it with an adjustment on the
task page of 主管审核, and the manager reads the decision and the adjusted total."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client

from kam.assessment.models import Appeal, AppealStatus
from tests.browser.conftest import CHROMIUM_ARGS

from .appeals_fixtures import IN_WINDOW, SUB_TOTAL, result_of
from .conftest import at

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser, user, base: str, outside: list[str]):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": base}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("request", lambda r: None if r.url.startswith((base, "data:")) else outside.append(r.url))
    return page


def test_appeal_in_the_browser_accepted_with_an_adjustment(appeals_published, live_server):
    from playwright.sync_api import sync_playwright

    world = appeals_published
    base = live_server.url
    outside: list[str] = []
    with at(IN_WINDOW), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        try:
            manager = _page(browser, world.user("sub"), base, outside)
            manager.goto(f"{base}/assessment/confirmations/")
            manager.click("a.kam-appeal")
            manager.fill("#id_reason", "拜访记录漏计2次")
            manager.select_option("#id_indicator_name", "客户拜访次数")
            manager.click("main button.btn-primary[type='submit']")
            manager.wait_for_selector("text=申诉中")

            supervisor = _page(browser, world.user("me"), base, outside)
            supervisor.goto(f"{base}/processes/tasks/")
            supervisor.get_by_role("link", name="主管审核").first.click()
            supervisor.get_by_label("调整分值（正数加分，负数扣分）").fill("3")
            supervisor.get_by_label("调整理由").fill("核实漏计2次拜访")
            supervisor.click("button[value='approve']")
            supervisor.wait_for_selector(".alert-success")

            appeal = Appeal.objects.get()
            manager.goto(f"{base}/assessment/appeals/{appeal.pk}/")
            body = manager.inner_text("main")
            assert "已采纳" in body and "核实漏计2次拜访" in body
        finally:
            browser.close()
    assert not outside, outside
    assert Appeal.objects.get().status == AppealStatus.ACCEPTED
    assert result_of(world, "sub").total == SUB_TOTAL + 3
