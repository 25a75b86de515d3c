"""In a real browser (Debian chromium): entering an atomic indicator's intervals on the page and
reading a scorecard, with every asset served locally."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.test import Client

from kam.assessment import services
from kam.assessment.models import Result
from kam.org.models import User
from tests.browser.conftest import CHROMIUM_ARGS

from .conftest import MONTH, at, values_for
from .test_runs import ROWS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page_as_admin(live_server):
    from playwright.sync_api import sync_playwright

    admin = User.objects.create_superuser(username="root", password="x", name="管理员", must_change_password=False)
    client = Client()
    client.force_login(admin)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="zh-CN")
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                              "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        external = []
        page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None)
        try:
            yield page, live_server.url
        finally:
            context.close()
            browser.close()
        assert not external, f"requests outside the server: {external}"


def test_r_asm_1_enter_intervals_in_the_browser(config, page_as_admin):
    page, base = page_as_admin
    metric = config["metrics"][1]
    with at(dt.datetime(2026, 3, 10, 10, 0)):
        page.goto(f"{base}/assessment/atomic-indicators/new/")
        page.fill("#id_name", "拜访次数（浏览器）")
        page.select_option("#id_metric", str(metric.pk))
        page.fill("#id_iv-0-upper", "5")
        page.fill("#id_iv-0-score", "0")
        page.fill("#id_iv-1-lower", "5")
        page.fill("#id_iv-1-score", "100")
        page.click("button:has-text('保存')")
        # Both ends at 5 are open: the value 5 is in no interval.
        page.screenshot(path="/tmp/asm_atomic.png", full_page=True)
        assert "数值5不属于任何区间" in page.locator(".kam-rows-errors").inner_text()
        page.check("#id_iv-1-lower_closed")
        page.click("button:has-text('保存')")
        page.wait_for_url("**/atomic-indicators/*/")
        rows = page.locator(".kam-intervals tbody tr").all_inner_texts()
    assert [r.split("\t")[1] for r in rows] == ["(−∞, 5)", "[5, +∞)"]


def test_scorecard_in_the_browser(config, page_as_admin):
    page, base = page_as_admin
    services.metric_values_save(items=values_for(config["world"], ROWS))
    with at(dt.date(2026, 4, 7)):
        services.run_start(user=None, period=MONTH, background=False)
    result = Result.objects.get(period=MONTH, subject_label="sub")
    page.goto(f"{base}/assessment/results/{result.pk}/")
    assert page.locator(".kam-total").inner_text() == "45.30"
    assert "(80000, 90000]" in page.locator(".kam-breakdown").inner_text()
    page.screenshot(path="/tmp/asm_scorecard.png", full_page=True)


def test_veto_item_entered_on_the_template_page_vetoes_the_scorecard(config, page_as_admin):
    """一票否决 (decision 0023): entered on the template page, shown on the template and the scorecard."""
    page, base = page_as_admin
    template, a_visits = config["template"], config["atomics"][1]
    with at(dt.datetime(2026, 3, 10, 10, 0)):
        page.goto(f"{base}/assessment/templates/{template.pk}/edit/")
        page.select_option("#id_v-0-atomic", str(a_visits.pk))
        page.fill("#id_v-0-threshold", "12")
        page.click("button:has-text('保存')")
        page.wait_for_url(f"**/assessment/templates/{template.pk}/")
        assert "≥ 12" in page.locator(".kam-vetoes").inner_text()
    services.metric_values_save(items=values_for(config["world"], ROWS))
    with at(dt.date(2026, 4, 7)):
        services.run_start(user=None, period=MONTH, background=False)
    me = Result.objects.get(period=MONTH, subject_label="me")  # 12 visits: exactly on the threshold
    client = Client()  # a new session: the one of March ended idle
    client.force_login(User.objects.get(username="root"))
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    page.goto(f"{base}/assessment/results/{me.pk}/")
    assert page.locator(".kam-total").inner_text() == "0.00"
    assert "一票否决：客户拜访次数 = 12 ≥ 12，总分为0" in page.locator(".kam-veto").inner_text()


def test_bonus_for_a_section_chosen_by_subject_type_in_the_browser(world, page_as_admin):
    """加分项 of a section (室): choosing the subject type shows the chooser of that type only."""
    from kam.assessment.models import Bonus
    from kam.org import services as org_services
    from kam.org.models import OrgKind

    section = org_services.org_unit_create(name="大客户室", code="K1DS", parent=world.unit("dept"),
                                           kind=OrgKind.SECTION)
    page, base = page_as_admin
    with at(dt.datetime(2026, 4, 8, 10, 0)):
        page.goto(f"{base}/assessment/bonuses/new/")
        assert page.locator("#row-subject").is_visible()
        assert not page.locator("#row-section").is_visible() and not page.locator("#row-department").is_visible()
        page.select_option("#id_subject_type", "section")
        assert page.locator("#row-section").is_visible() and not page.locator("#row-subject").is_visible()
        page.select_option("#id_section", str(section.pk))
        page.fill("#id_period", MONTH)
        page.fill("#id_points", "3")
        page.fill("#id_reason", "室的贡献")
        page.click("button:has-text('保存')")
        page.wait_for_url(lambda url: "/assessment/bonuses/" in url and not url.endswith("/new/"))
        page.goto(f"{base}/assessment/bonuses/?subject_type=section")
        listing = page.locator("table").inner_text()
    assert "室的贡献" in listing and "大客户室" in listing
    assert Bonus.objects.get().org_unit == section
