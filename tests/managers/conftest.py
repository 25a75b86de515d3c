import datetime as dt

import pytest

from kam.managers import services
from tests.helpers.matrix import WORLD_USERS


@pytest.fixture
def profiles(world):
    """An account-manager profile for every world user (the user owns it, it sits at their unit)."""
    return {
        label: services.manager_create(
            user=world.user(label), employee_no=f"E{i:03d}", phone=f"1380000{i:04d}",
            hire_date=dt.date(2020, 1, 1),
        )
        for i, label in enumerate(WORLD_USERS, start=1)
    }


@pytest.fixture
def browser_page():
    """A headless Debian chromium page (Playwright, sync API)."""
    import os

    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args, headless=True)
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
