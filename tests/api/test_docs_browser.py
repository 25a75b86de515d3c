"""The Swagger UI renders in a real browser from the platform's own static files only."""

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.mark.browser
def test_swagger_ui_renders_without_internet(live_server, transactional_db):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:", "blob:"))
                    else outside.append(r.url))
            page.goto(f"{live_server.url}/api/v1/docs/")
            # The schema was fetched and operations are drawn.
            page.wait_for_selector(".opblock-summary-path", timeout=30_000)
            assert page.locator(".info .title").inner_text().startswith("KAM Platform API")
            paths = page.evaluate("() => ui.specSelectors.paths().keySeq().toArray()")
        finally:
            browser.close()
    assert {"/api/v1/org/users/", "/api/v1/auth/token/"} <= set(paths)
    assert not outside, outside
