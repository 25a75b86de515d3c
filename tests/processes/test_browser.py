"""In a real browser: the bpmn-js designer loads a version and saves a new one; the instance page
shows the diagram with the current step highlighted; nothing is loaded from outside (no CDN)."""

from __future__ import annotations

import json
import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop in this thread

import pytest
from django.conf import settings
from django.test import Client

from kam.processes import services
from kam.processes.models import ProcessDefinition, ProcessVersion
from tests.helpers.world import grant_role

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _session_cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


def _login(browser, user, live_server):
    context = browser.new_context()
    context.add_cookies([{**_session_cookie(user), "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.mark.browser
def test_designer_and_instance_diagram_in_browser(transactional_db, pworld, live_server):
    """R-PROC: configure a step in the designer's property panel, save and activate the version,
    then run an instance through two users' task lists; the instance page highlights the step."""
    from playwright.sync_api import sync_playwright

    me, peer, boss = pworld.user("me"), pworld.user("peer"), pworld.user("city_a")
    type(pworld.unit("county_2")).objects.filter(pk=pworld.unit("county_2").pk).update(head=boss)
    grant_role(me, "process_definitions", "all")
    version = ProcessDefinition.objects.get(code="two_step_approval").active_version
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = _login(browser, me, live_server)
            page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:"))
                    else outside.append(r.url))
            page.goto(f"{live_server.url}/processes/designer/{version.pk}/")
            page.wait_for_selector("#kam-bpmn-modeler[data-ready='1']")
            assert page.locator(".bjs-powered-by").count() == 1  # the bpmn.io watermark stays
            # the property panel: named user "peer", no 转办
            page.locator("g.djs-shape[data-element-id='supervisor_review']").first.click()
            page.wait_for_selector("#kam-node-panel[data-selected='supervisor_review']")
            assert page.input_value("#kam-p-kind") == "superior" and page.input_value("#kam-p-limit") == "24"
            # R-PROC: a role spec's business_line key is edited in the panel and shown in the JSON view
            page.select_option("#kam-p-kind", "role")
            page.fill("#kam-p-role", "reviewer_city")
            page.fill("#kam-p-business-line", "line")
            page.press("#kam-p-business-line", "Tab")
            assert '"business_line": "line"' in page.input_value("#kam-designer-config")
            # R-PROC: "any of several sources" (any_of) with one row per source
            page.select_option("#kam-p-kind", "any_of")
            page.click("#kam-p-anyof-add")
            first = page.locator("#kam-p-anyof [data-source]").nth(0)
            first.locator("[data-s='role']").fill("reviewer_county")
            first.locator("[data-s='org']").select_option("county")
            page.click("#kam-p-anyof-add")
            second = page.locator("#kam-p-anyof [data-source]").nth(1)
            second.locator("[data-s='kind']").select_option("user")
            assert second.locator("[data-s='role']").is_hidden()
            second.locator("[data-s='users']").fill("peer, city_a")
            second.locator("[data-s='users']").press("Tab")
            config = json.loads(page.input_value("#kam-designer-config"))
            assert config["supervisor_review"]["approver"] == {"kind": "any_of", "of": [
                {"kind": "role", "role": "reviewer_county", "org": "county"},
                {"kind": "user", "users": ["peer", "city_a"]}]}
            page.select_option("#kam-p-kind", "user")
            page.fill("#kam-p-users", "peer")
            page.press("#kam-p-users", "Tab")
            page.uncheck("#kam-p-action-transfer")
            # step form fields (环节表单) in the panel
            page.click("#kam-p-field-add")
            row = page.locator("#kam-p-fields [data-field]").first
            row.locator("[data-f='name']").fill("satisfied")
            row.locator("[data-f='label']").fill("客户是否满意")
            row.locator("[data-f='type']").select_option("choice")
            row.locator("[data-f='choices']").fill("yes:满意, no:不满意")
            row.locator("[data-f='required']").check()
            page.check("#kam-designer-advanced")
            assert '"peer"' in page.input_value("#kam-designer-config")
            page.click("#kam-designer-save")
            page.wait_for_selector("#kam-designer-message.alert-success")
            assert "版本 2" in page.inner_text("#kam-designer-message")
            new = ProcessVersion.objects.get(definition=version.definition, number=2)
            cfg = new.node_config["supervisor_review"]
            assert cfg["approver"] == {"kind": "user", "users": ["peer"]} and cfg["time_limit_hours"] == 24
            assert "transfer" not in cfg["actions"] and "send_back" in cfg["actions"]
            assert cfg["fields"] == [{"name": "satisfied", "label": "客户是否满意", "type": "choice",
                                      "required": True, "choices": [["yes", "满意"], ["no", "不满意"]]}]
            # activate it on the definition page
            page.goto(f"{live_server.url}/processes/definitions/{version.definition_id}/")
            page.locator(f"form[action='/processes/versions/{new.pk}/activate/'] button").click()
            page.wait_for_selector(".alert-success")
            inst = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval",
                                           business_key="B1")
            # first user's task list: peer approves, no transfer button
            peer_page = _login(browser, peer, live_server)
            peer_page.goto(f"{live_server.url}/processes/tasks/")
            peer_page.get_by_role("link", name="主管审批").click()
            assert peer_page.locator("button[value='transfer']").count() == 0
            peer_page.get_by_label("客户是否满意").select_option("yes")
            peer_page.click("button[value='approve']")
            peer_page.wait_for_selector(".alert-success")
            # second user's task list: the leader approves
            boss_page = _login(browser, boss, live_server)
            boss_page.goto(f"{live_server.url}/processes/tasks/")
            boss_page.get_by_role("link", name="领导审批").click()
            boss_page.goto(f"{live_server.url}/processes/instances/{inst.pk}/")
            boss_page.wait_for_selector("#kam-bpmn-viewer[data-ready='1']")
            assert boss_page.locator(".djs-element.kam-current[data-element-id='leader_review']").count() == 1
            boss_page.goto(f"{live_server.url}/processes/tasks/")
            boss_page.get_by_role("link", name="领导审批").click()
            boss_page.click("button[value='approve']")
            boss_page.wait_for_selector(".alert-success")
        finally:
            browser.close()
    assert not outside, outside
    inst.refresh_from_db()
    assert inst.status == "completed" and inst.version.number == 2
    assert inst.data["satisfied"] == "yes"
