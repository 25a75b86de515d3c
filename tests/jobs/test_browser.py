"""我的后台任务 in a real browser: the progress bar follows the running job by htmx polling, stops
polling when it ends, and the result file downloads."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client

from kam.core import clock
from kam.jobs.models import Job, JobStatus
from kam.jobs.progress import ProgressReporter
from kam.jobs.services import job_start
from kam.org.models import Role

from . import handlers  # noqa: F401

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_progress_bar_refreshes_and_result_downloads(world, live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    me = world.user("me")
    me.roles.add(Role.objects.get(code="account_manager"))
    job = job_start(user=me, kind="tests.lines", params={"count": 4, "prefix": "br"})
    now = clock.now()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=1)
    progress = ProgressReporter(job.pk, throttle=0)  # the worker's reporter
    progress(1, 4, "已创建 1")

    client = Client()
    client.force_login(me)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="zh-CN", accept_downloads=True)
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            page.goto(f"{live_server.url}/jobs/")
            row = page.locator(f'#my-jobs tr[data-job="{job.pk}"]')
            expect(row).to_contain_text("创建专业类型")
            expect(row).to_contain_text("执行中")
            expect(row.locator(".progress-bar")).to_have_text("25%")

            progress(3, message="已创建 3")
            expect(row.locator(".progress-bar")).to_have_text("75%")  # refreshed without reload
            expect(row).to_contain_text("已创建 3")

            progress.close()
            job.refresh_from_db()
            stored = job.attach_file("结果.txt", "4 行".encode())
            Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, done=4, finished_at=clock.now(),
                                                 result_file=stored)
            expect(row).to_contain_text("成功")
            expect(row.locator(".progress-bar")).to_have_text("100%")
            expect(page.locator("#job-rows")).not_to_have_attribute("hx-trigger", "every 2s")
            with page.expect_download() as info:
                row.get_by_role("link", name="下载").click()
            path = tmp_path / "download.txt"
            info.value.save_as(path)
            assert path.read_text(encoding="utf-8") == "4 行"
        finally:
            context.close()
            browser.close()
            job.refresh_from_db()
            job.result_file.delete(save=False)
