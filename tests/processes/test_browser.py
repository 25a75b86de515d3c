"""In a real browser: the bpmn-js designer loads a version and saves a new one; the instance page
shows the diagram with the current step highlighted; nothing is loaded from outside (no CDN)."""

from __future__ import annotations

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


@pytest.mark.browser
def test_designer_and_instance_diagram_in_browser(transactional_db, pworld, live_server):
    from playwright.sync_api import sync_playwright

    me = pworld.user("me")
    grant_role(me, "process_definitions", "all")
    version = ProcessDefinition.objects.get(code="two_step_approval").active_version
    inst = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="B1")
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.add_cookies([{**_session_cookie(me), "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:"))
                    else outside.append(r.url))
            page.goto(f"{live_server.url}/processes/designer/{version.pk}/")
            page.wait_for_selector("#kam-bpmn-modeler[data-ready='1']")
            assert page.locator(".bjs-powered-by").count() == 1  # the bpmn.io watermark stays
            assert page.locator("[data-element-id='leader_review']").count() >= 1
            page.click("#kam-designer-save")
            page.wait_for_selector("#kam-designer-message.alert-success")
            assert "版本 2" in page.inner_text("#kam-designer-message")
            page.goto(f"{live_server.url}/processes/instances/{inst.pk}/")
            page.wait_for_selector("#kam-bpmn-viewer[data-ready='1']")
            assert page.locator(".djs-element.kam-current[data-element-id='supervisor_review']").count() == 1
        finally:
            browser.close()
    assert not outside, outside
    new = ProcessVersion.objects.filter(definition=version.definition).order_by("-number").first()
    assert new.number == 2 and new.created_by == me and "supervisor_review" in new.bpmn_xml
