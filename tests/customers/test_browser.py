"""In a real browser: 客户注册申报 — R-CUST-1 on the page (ticking 总部客户 sets 钻石级客户), the
manager list following the chosen department (htmx), and the 360 view of the approved customer."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from kam.customers.models import Registration

from .conftest import approve_all

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _session_cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


@pytest.mark.browser
def test_r_cust_1_apply_page_in_browser(transactional_db, cw, live_server):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    cookie = _session_cookie(cw["me"])  # database work before the browser's event loop starts
    county, department = str(cw.unit("county_2").pk), str(cw.unit("county_1").pk)
    me, letters = str(cw["me"].pk), cw.lines["letters"].pk
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.add_cookies([{**cookie, "url": live_server.url}])
            page = context.new_page()
            page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:"))
                    else outside.append(r.url))
            page.goto(f"{live_server.url}/customers/apply/?new=1&name=武汉楚天物流有限公司")
            page.select_option("#id_level", "silver")
            page.check("#id_is_headquarters")
            assert page.input_value("#id_level") == "diamond"
            page.select_option("#id_county", county)
            page.select_option("#id_industry", "logistics")
            page.click("form:has(input[name=step]) button[type=submit]")
            page.wait_for_selector("#id_department")
            with page.expect_response(lambda r: "/customers/managers/options/" in r.url):
                page.select_option("#id_department", department)
            options = page.locator("#id_manager option").all_inner_texts()
            assert any("me" in o for o in options) and not any("sub" in o for o in options)
            page.select_option("#id_manager", me)
            page.fill("#id_contact_name", "周经理")
            page.check(f"input[name=business_lines][value='{letters}']")
            page.click("form:has(input[name=step]) button[type=submit]")
            page.wait_for_selector(".kam-history")
            body = page.inner_text("body")
            assert "钻石级客户" in body and "区县预审" in body
        finally:
            browser.close()
    assert not outside, outside
    reg = Registration.objects.get()
    assert reg.customer_data["level"] == "diamond"
    customer = approve_all(cw, reg, "rev_county", "rev_city", "rev_city").customer
    assert customer.is_headquarters and customer.level == "diamond"
