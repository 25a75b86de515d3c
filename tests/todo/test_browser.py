"""In a real browser: the home panel of the task list → the task list page → remove a line (htmx);
nothing is loaded from outside (no CDN)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop in this thread

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from kam.core import clock
from kam.todo import services
from kam.todo.models import Dismissal
from kam.todo.selectors import todo_list

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _session_cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


@pytest.mark.browser
def test_home_panel_to_task_list_and_remove_a_line(transactional_db, tworld, live_server):
    from playwright.sync_api import sync_playwright

    me, sub = tworld.user("me"), tworld.user("sub")
    now = clock.now()
    services.todo_item_create(user=me, assignee=sub, title="逾期的交办", due_at=now - dt.timedelta(hours=1))
    keep = services.todo_item_create(user=me, assignee=sub, title="保留的交办", due_at=now + dt.timedelta(minutes=5))
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.add_cookies([{**_session_cookie(sub), "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:"))
                    else outside.append(r.url))
            page.goto(f"{live_server.url}/")
            panel = page.locator("[data-panel='todo.list']")
            assert panel.locator(".kam-overdue-count").inner_text() == "1"
            assert "逾期的交办" in panel.inner_text()
            panel.locator("a.kam-open-todo").click()
            page.wait_for_url("**/todo/list/")
            assert page.locator("tr.kam-todo-line").count() == 2
            row = page.locator("tr.kam-todo-line", has_text="逾期的交办")
            assert row.locator(".kam-overdue").count() == 1
            row.locator("button.kam-dismiss").click()
            page.wait_for_function("document.querySelectorAll('tr.kam-todo-line').length === 1")
            assert "保留的交办" in page.locator("table.kam-todo-table").inner_text()
            page.reload()
            assert page.locator("tr.kam-todo-line").count() == 1
        finally:
            browser.close()
    assert not outside, outside
    assert Dismissal.objects.filter(user=sub, source="assigned").count() == 1
    assert [line.key for line in todo_list(sub).lines] == [keep.key]
