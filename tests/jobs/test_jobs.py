"""Background jobs: lifecycle, progress, transaction, retry of a dead worker's job (R-SYS jobs)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from kam.core import clock
from kam.jobs.models import Job, JobStatus
from kam.jobs.services import execute_job, job_cancel, job_run_inline, job_start, jobs_sweep_stale
from kam.org.models import BusinessLine

from . import handlers  # noqa: F401  (registers the test handlers)

pytestmark = pytest.mark.django_db


def test_job_start_queues_a_task_and_the_worker_runs_it_with_progress(world):
    me = world.user("me")
    job = job_start(user=me, kind="tests.lines", params={"count": 5, "prefix": "life"})
    assert job.status == JobStatus.QUEUED and job.label == "创建专业类型" and job.created_by == me
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.task_path == "kam.jobs.tasks.run_job" and task.args_kwargs["args"] == [job.pk]

    assert execute_job(job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.percent, job.attempts) == (JobStatus.SUCCEEDED, 5, 5, 100, 1)
    assert job.message == "已创建 5" and job.result == {"created": 5}
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert BusinessLine.objects.filter(code__startswith="life-").count() == 5
    # A job already taken is not run twice.
    assert execute_job(job.pk) == "skipped"


def test_a_failing_job_leaves_nothing_half_saved_and_shows_the_error(world):
    job = job_run_inline(user=world.user("me"), kind="tests.lines",
                         params={"count": 4, "prefix": "half", "fail_at_end": True, "file": True})
    assert job.status == JobStatus.FAILED
    assert job.error == "第 3 行: 名称重复"
    assert (job.done, job.total) == (4, 4)
    assert not BusinessLine.objects.filter(code__startswith="half-").exists()
    assert not job.result_file


def test_inline_job_runs_synchronously_with_a_result_file(world):
    job = job_run_inline(user=world.user("me"), kind="tests.lines", params={"count": 2, "prefix": "inl", "file": True})
    assert job.status == JobStatus.SUCCEEDED and job.result == {"created": 2}
    assert job.result_file.name.endswith("result.txt")
    with job.result_file.open("rb") as fh:
        assert fh.read() == b"2 lines"
    job.result_file.delete(save=False)


def test_unknown_kind_is_refused(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        job_start(user=world.user("me"), kind="no.such", params={})
    assert "kind" in exc.value.message_dict


def test_only_a_queued_job_can_be_cancelled_and_a_cancelled_job_does_not_run(world):
    from django.core.exceptions import PermissionDenied, ValidationError

    me, peer = world.user("me"), world.user("peer")
    job = job_start(user=me, kind="tests.lines", params={"count": 1, "prefix": "can"})
    with pytest.raises(PermissionDenied):
        job_cancel(user=peer, job=job)
    job = job_cancel(user=me, job=job)
    assert job.status == JobStatus.CANCELLED
    assert execute_job(job.pk) == "skipped"
    assert not BusinessLine.objects.filter(code__startswith="can-").exists()
    with pytest.raises(ValidationError):
        job_cancel(user=me, job=job)


def test_sweep_retries_a_dead_workers_job_once_then_reports_it_failed(world):
    job = job_start(user=world.user("me"), kind="tests.lines", params={"count": 1, "prefix": "stale"})
    start = clock.now()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1, heartbeat_at=start,
                                         started_at=start)
    # A fresh heartbeat is left alone.
    jobs_sweep_stale()
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        jobs_sweep_stale()
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.message
    assert DBTaskResult.objects.filter(pk=job.task_id, status="READY").exists()
    # Second attempt dies as well: the job is reported failed, with a clear message.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=2, heartbeat_at=start)
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        jobs_sweep_stale()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "2" in job.error and job.finished_at


def test_run_queued_jobs_in_process(world):
    from kam.jobs.services import jobs_run_queued

    a = job_start(user=world.user("me"), kind="tests.lines", params={"count": 1, "prefix": "rq1"})
    b = job_start(user=world.user("me"), kind="tests.lines", params={"count": 2, "prefix": "rq2"})
    assert jobs_run_queued() == 2
    assert {j.status for j in Job.objects.filter(pk__in=[a.pk, b.pk])} == {JobStatus.SUCCEEDED}
    assert jobs_run_queued() == 0


def test_sweep_fails_a_periodic_run_whose_worker_died(db):
    from kam.jobs.models import RunStatus, ScheduledJob, ScheduleRun

    sj = ScheduledJob.objects.get(code="jobs.prune")
    start = clock.now()
    run = ScheduleRun.objects.create(scheduled_job=sj, status=RunStatus.RUNNING, created_at=start, started_at=start,
                                     heartbeat_at=start)
    jobs_sweep_stale()
    assert ScheduleRun.objects.get(pk=run.pk).status == RunStatus.RUNNING
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        jobs_sweep_stale()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.error and run.finished_at
