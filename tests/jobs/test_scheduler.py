"""定时任务: schedules, exactly-once claiming, pause / resume / run now, execution log."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection, connections

from kam.core import clock
from kam.jobs.models import RunStatus, RunTrigger, ScheduledJob, ScheduleRun
from kam.jobs.scheduler import PERIODIC, Schedule, execute_run, register_periodic, scheduler_tick, sync_periodic
from kam.jobs.services import scheduled_job_pause, scheduled_job_resume, scheduled_job_run_now
from kam.org.models import BusinessLine, Role
from kam.org.permissions import clear_cache

from . import handlers  # noqa: F401

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def test_interval_and_day_of_month_schedules():
    assert Schedule.parse(60).next_after(at(2026, 3, 1, 10, 0)) == at(2026, 3, 1, 10, 1)
    monthly = Schedule.parse("0 2 7")  # the assessment computation: day 7 at 02:00
    assert monthly.next_after(at(2026, 3, 1, 10, 0)) == at(2026, 3, 7, 2, 0)
    assert monthly.next_after(at(2026, 3, 7, 2, 0)) == at(2026, 4, 7, 2, 0)
    assert Schedule.parse("30 1 *").next_after(at(2026, 3, 1, 1, 29, 59)) == at(2026, 3, 1, 1, 30)
    assert Schedule.parse("0,30 * *").next_after(at(2026, 3, 1, 23, 45)) == at(2026, 3, 2, 0, 0)
    assert Schedule.parse("0 0 31").next_after(at(2026, 4, 1)) == at(2026, 5, 31)
    for bad in ("", "0 25 *", "x 1 *", "0 0", "0"):
        with pytest.raises(ValueError):
            Schedule.parse(bad)


@pytest.fixture
def tick_job(db):
    register_periodic("tests.tick", "tick", "tests.jobs.handlers.periodic_mark", "0 0 1")
    try:
        sync_periodic()
        # Only this job may fall due during the test (the built-in ones keep their own clocks).
        ScheduledJob.objects.exclude(code="tests.tick").update(enabled=False)
        yield ScheduledJob.objects.get(code="tests.tick")
    finally:
        PERIODIC.pop("tests.tick", None)


def test_registered_periodic_jobs_have_rows_after_migrate(db):
    codes = set(ScheduledJob.objects.values_list("code", flat=True))
    assert {"jobs.sweep_stale", "jobs.prune"} <= codes
    sweep = ScheduledJob.objects.get(code="jobs.sweep_stale")
    assert sweep.enabled and sweep.next_run_at and sweep.func_path == "kam.jobs.services.jobs_sweep_stale"


def test_a_due_job_is_claimed_once_and_its_run_logged(tick_job):
    now = clock.now()
    ScheduledJob.objects.filter(pk=tick_job.pk).update(next_run_at=now - dt.timedelta(seconds=5))
    runs = scheduler_tick("w1")
    assert len(runs) == 1 and runs[0].trigger == RunTrigger.SCHEDULE
    assert scheduler_tick("w2") == []  # already claimed, next run is on the 1st at 00:00
    assert execute_run(runs[0].pk, "w1") == RunStatus.SUCCEEDED
    run = ScheduleRun.objects.get(pk=runs[0].pk)
    assert (run.status, run.output) == (RunStatus.SUCCEEDED, "tick 1")
    assert run.started_at and run.finished_at and run.duration_ms is not None
    tick_job.refresh_from_db()
    assert tick_job.last_status == RunStatus.SUCCEEDED and tick_job.last_run_at
    assert tick_job.next_run_at.astimezone(SH).day == 1


def test_a_failing_run_is_logged_with_its_error_and_rolled_back(db):
    sj = ScheduledJob.objects.create(code="tests.boom", name="boom", func_path="tests.jobs.handlers.periodic_boom",
                                     schedule="60", next_run_at=clock.now())
    admin = Role.objects.get(code="admin").users.model.objects.create_superuser("root", password="x")
    run = scheduled_job_run_now(user=admin, scheduled_job=sj)
    assert run.trigger == RunTrigger.MANUAL and run.triggered_by == admin
    assert execute_run(run.pk) == RunStatus.FAILED
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "定时任务出错" in run.error
    sj.refresh_from_db()
    assert sj.last_status == RunStatus.FAILED


def test_pause_resume_and_run_now_need_the_scheduler_permission(tick_job, world):
    from tests.helpers.world import grant_role

    me = world.user("me")
    with pytest.raises(PermissionDenied):
        scheduled_job_pause(user=me, scheduled_job=tick_job)
    grant_role(me, "scheduler", "all")
    clear_cache(me)
    ScheduledJob.objects.filter(pk=tick_job.pk).update(next_run_at=clock.now() - dt.timedelta(seconds=1))
    scheduled_job_pause(user=me, scheduled_job=tick_job)
    assert scheduler_tick() == []  # paused: not run
    with time_machine.travel(at(2026, 5, 20, 8, 0), tick=False):
        sj = scheduled_job_resume(user=me, scheduled_job=tick_job)
        assert sj.enabled and sj.next_run_at == at(2026, 6, 1, 0, 0)
    run = scheduled_job_run_now(user=me, scheduled_job=tick_job)
    assert execute_run(run.pk) == RunStatus.SUCCEEDED
    assert BusinessLine.objects.filter(code="tick-1").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="concurrent connections need PostgreSQL")
def test_concurrent_ticks_on_separate_connections_claim_a_due_run_once():
    ScheduledJob.objects.update(enabled=False)  # only the job below may fall due
    sj = ScheduledJob.objects.create(code="tests.race", name="race", func_path="tests.jobs.handlers.periodic_mark",
                                     schedule="0 0 1", next_run_at=clock.now() - dt.timedelta(seconds=1))
    barrier = threading.Barrier(6)
    claimed: list[int] = []

    def tick(i: int):
        try:
            barrier.wait()
            claimed.extend(r.pk for r in scheduler_tick(f"t{i}"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 1
    assert ScheduleRun.objects.filter(scheduled_job=sj).count() == 1
