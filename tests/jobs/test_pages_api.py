"""Pages 我的后台任务 / 定时任务 and the API under /api/v1/system/ (jobs, scheduled-jobs)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from kam.core import clock
from kam.jobs.models import Job, JobStatus, RunStatus, ScheduledJob, ScheduleRun
from kam.jobs.services import execute_job, job_run_inline, job_start
from kam.org.models import Role, User
from tests.helpers.matrix import api_detail_probe, api_list_probe, page_list_probe, run_matrix

from . import handlers  # noqa: F401

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_admin(world) -> User:
    admin = world.user("city_a")
    admin.roles.add(Role.objects.get(code="admin"))
    return admin


def test_jobs_api_permission_matrix(world):
    """R-PERM-1: the jobs list and detail follow the ``jobs`` module's scope over the starter."""
    records = {label: job_start(user=user, kind="tests.lines", params={"count": 1, "prefix": f"mx{label}"})
               for label, user in world.users.items()}
    run_matrix(world, "jobs", records, [
        api_list_probe("/api/v1/system/jobs/"),
        api_detail_probe(lambda job: f"/api/v1/system/jobs/{job.pk}/"),
    ])


def test_everyone_sees_their_own_jobs_by_default_with_progress(world):
    me = world.user("me")
    me.roles.add(Role.objects.get(code="account_manager"))
    mine = job_start(user=me, kind="tests.lines", params={"count": 3, "prefix": "own"})
    other = job_start(user=world.user("peer"), kind="tests.lines", params={"count": 1, "prefix": "peer"})
    Job.objects.filter(pk=mine.pk).update(status=JobStatus.RUNNING, done=1, total=3, message="已创建 1")
    client = login(me)
    rows = client.get("/api/v1/system/jobs/").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert (rows[0]["status"], rows[0]["percent"], rows[0]["message"]) == ("running", 33, "已创建 1")
    assert client.get(f"/api/v1/system/jobs/{other.pk}/").status_code == 404
    page = client.get("/jobs/")
    assert page.status_code == 200 and [j.pk for j in page.context["page"].rows] == [mine.pk]
    html = page.content.decode()
    assert "创建专业类型" in html and 'aria-valuenow="33"' in html and 'hx-trigger="every 2s"' in html
    # The htmx poll answers with the rows only.
    partial = client.get("/jobs/", {"partial": 1}, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="job-rows"')
    # Finished: no more polling.
    Job.objects.filter(pk=mine.pk).update(status=JobStatus.SUCCEEDED, done=3)
    assert 'hx-trigger="every 2s"' not in client.get("/jobs/").content.decode()


def test_result_file_downloadable_by_owner_and_admin_only(world):
    me, peer = world.user("me"), world.user("peer")
    for user in (me, peer):
        user.roles.add(Role.objects.get(code="account_manager"))
    admin = make_admin(world)
    job = job_run_inline(user=me, kind="tests.lines", params={"count": 2, "prefix": "dl", "file": True})
    try:
        for user, expected in ((me, 200), (admin, 200), (peer, 404)):
            client = login(user)
            resp = client.get(f"/jobs/{job.pk}/download/")
            assert resp.status_code == expected, (user, resp.status_code)
            api = client.get(f"/api/v1/system/jobs/{job.pk}/download/")
            assert api.status_code == expected
            if expected == 200:
                assert b"".join(resp.streaming_content) == b"2 lines"
                assert "attachment" in resp["Content-Disposition"]
        # An admin who can see the job but is neither owner nor holder of change: refused.
        assert login(me).get("/jobs/").content.decode().count(f"/jobs/{job.pk}/download/") == 1
        data = login(me).get(f"/api/v1/system/jobs/{job.pk}/").json()
        assert data["download_url"].endswith(f"/api/v1/system/jobs/{job.pk}/download/")
    finally:
        job.result_file.delete(save=False)


def test_cancel_a_queued_job_from_the_page_and_the_api(world):
    me = world.user("me")
    me.roles.add(Role.objects.get(code="account_manager"))
    client = login(me)
    first = job_start(user=me, kind="tests.lines", params={"count": 1, "prefix": "c1"})
    second = job_start(user=me, kind="tests.lines", params={"count": 1, "prefix": "c2"})
    assert client.post(f"/jobs/{first.pk}/cancel/").status_code == 302
    assert Job.objects.get(pk=first.pk).status == JobStatus.CANCELLED
    resp = client.post(f"/api/v1/system/jobs/{second.pk}/cancel/")
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
    assert execute_job(second.pk) == "skipped"
    assert client.post(f"/api/v1/system/jobs/{second.pk}/cancel/").status_code == 400


def test_scheduled_jobs_page_and_api_for_the_administrator(world):
    admin = make_admin(world)
    sj = ScheduledJob.objects.get(code="jobs.sweep_stale")
    client = login(admin)
    page = client.get("/system/scheduled-jobs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "重试已停止的执行进程中的后台任务" in html and "每 60 秒" in html and "每天 03:30" in html
    assert "<th>名称</th>" in html
    assert "<th>执行计划</th>" in html

    assert client.post(f"/system/scheduled-jobs/{sj.pk}/pause/").status_code == 302
    sj.refresh_from_db()
    assert not sj.enabled and "已暂停" in client.get("/system/scheduled-jobs/").content.decode()
    resp = client.post(f"/api/v1/system/scheduled-jobs/{sj.pk}/resume/")
    assert resp.status_code == 200 and resp.json()["enabled"] is True
    resp = client.post(f"/api/v1/system/scheduled-jobs/{sj.pk}/run-now/")
    assert resp.status_code == 202 and resp.json()["status"] == "queued"
    assert client.post(f"/system/scheduled-jobs/{sj.pk}/run/").status_code == 302
    from kam.jobs.scheduler import execute_run

    for run in ScheduleRun.objects.filter(scheduled_job=sj):
        assert execute_run(run.pk) == RunStatus.SUCCEEDED
    runs = client.get(f"/api/v1/system/scheduled-jobs/{sj.pk}/runs/").json()["results"]
    assert len(runs) == 2 and runs[0]["status"] == "succeeded" and runs[0]["trigger"] == "manual"
    log = client.get(f"/system/scheduled-jobs/{sj.pk}/runs/")
    assert log.status_code == 200 and len(log.context["page"].rows) == 2
    assert "立即执行" in log.content.decode() and "成功" in log.content.decode()
    listed = client.get("/api/v1/system/scheduled-jobs/").json()["results"]
    assert {"jobs.sweep_stale", "jobs.prune"} <= {r["code"] for r in listed}


def test_scheduled_jobs_are_for_holders_of_the_scheduler_module_only(world):
    me = world.user("me")
    me.roles.add(Role.objects.get(code="leader"))
    sj = ScheduledJob.objects.get(code="jobs.sweep_stale")
    client = login(me)
    assert client.get("/system/scheduled-jobs/").status_code == 403
    assert client.get("/api/v1/system/scheduled-jobs/").status_code == 403
    assert client.post(f"/api/v1/system/scheduled-jobs/{sj.pk}/pause/").status_code == 403
    assert client.post(f"/system/scheduled-jobs/{sj.pk}/pause/").status_code == 404
    sj.refresh_from_db()
    assert sj.enabled


def test_stale_sweep_shows_a_clear_message_on_the_page(world):
    me = world.user("me")
    me.roles.add(Role.objects.get(code="account_manager"))
    job = job_start(user=me, kind="tests.lines", params={"count": 1, "prefix": "sw"})
    old = clock.now() - dt.timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=2, heartbeat_at=old)
    from kam.jobs.services import jobs_sweep_stale

    jobs_sweep_stale()
    html = login(me).get("/jobs/").content.decode()
    assert "执行进程在执行此任务时失去响应" in html and "失败" in html


GRANTED = ("all", "custom", "unit", "subtree", "own", "own_sub", "two_roles")


def test_my_jobs_page_matrix_shows_only_the_users_own_jobs(world):
    """R-PERM-1: 我的后台任务 lists the user's own jobs, whatever wider scope the grant has."""
    records = {label: job_start(user=user, kind="tests.lines", params={"count": 1, "prefix": f"pm{label}"})
               for label, user in world.users.items()}
    expected = {case: {"me"} for case in GRANTED}
    expected["custom"] = set()  # the custom units (city B) do not hold the user's own unit
    run_matrix(world, "jobs", records, [page_list_probe("/jobs/")], expected=expected)


def test_scheduled_jobs_matrix(world):
    """R-PERM-1: scheduled jobs are not tied to the org tree: any effective grant shows them all."""
    records = {label: ScheduledJob.objects.create(code=f"tests.m.{label}", name=label, func_path="x.y",
                                                  schedule="60", next_run_at=clock.now())
               for label in world.users}
    everything = set(world.users)
    run_matrix(world, "scheduler", records, [
        api_list_probe("/api/v1/system/scheduled-jobs/"),
        api_detail_probe(lambda sj: f"/api/v1/system/scheduled-jobs/{sj.pk}/"),
        page_list_probe("/system/scheduled-jobs/"),
    ], expected={case: everything for case in GRANTED})
