"""在线用户 in a real browser: an administrator forces another user out (强退); that user's next
page goes to the login page (R-AUTH-1)."""

from __future__ import annotations

import os

import pytest

from kam.system.models import OperationLog
from tests.helpers.world import PASSWORD, grant_role

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=username]) button[type=submit]").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_forced_logout_in_the_browser(world, live_server):
    from playwright.sync_api import expect, sync_playwright

    grant_role(world.user("me"), "online_users", "all")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        peer_ctx = browser.new_context(locale="zh-CN")
        admin_ctx = browser.new_context(locale="zh-CN")
        try:
            peer = peer_ctx.new_page()
            peer.set_default_timeout(15_000)
            login(peer, live_server.url, "peer")

            admin = admin_ctx.new_page()
            admin.set_default_timeout(15_000)
            login(admin, live_server.url, "me")
            admin.goto(f"{live_server.url}/system/online/")
            expect(admin.locator("h1")).to_have_text("在线用户")
            def row_of(account):
                return admin.locator("tr").filter(has=admin.get_by_role("cell", name=account, exact=True))

            row = row_of("peer")
            expect(row).to_contain_text("Chrome")
            expect(row_of("me").get_by_role("button", name="强退")).to_have_count(0)  # not one's own session
            admin.once("dialog", lambda dialog: dialog.accept())
            row.get_by_role("button", name="强退").click()
            expect(admin.locator(".alert-success")).to_contain_text("已被强制退出")
            expect(row_of("peer")).to_have_count(0)

            peer.goto(f"{live_server.url}/system/online/")
            assert "/accounts/login/" in peer.url
        finally:
            peer_ctx.close()
            admin_ctx.close()
            browser.close()
    assert OperationLog.objects.filter(action="force_logout").count() == 1
