"""The real worker process (``manage.py kam_worker``): a job killed mid-way leaves nothing
half-saved and is retried; two workers run a due periodic job exactly once; SIGTERM stops a
worker cleanly.

These tests start worker subprocesses on the test database, so they need a database other
processes can reach: PostgreSQL (``KAM_DB=postgres``). The SQLite test database lives in memory.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from kam.core import clock
from kam.jobs.models import Job, JobStatus, RunStatus, ScheduledJob, ScheduleRun
from kam.jobs.services import job_start, jobs_sweep_stale
from kam.org.models import BusinessLine

from . import handlers  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]

WORKER_SCRIPT = """
import sys
import django
django.setup()
import tests.jobs.handlers
from kam.jobs.scheduler import register_periodic
register_periodic("tests.tick", "tick", "tests.jobs.handlers.periodic_mark", "0 0 1")
from django.core.management import call_command
call_command("kam_worker", *sys.argv[1:])
"""

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("KAM_DB") != "postgres",
                       reason="worker subprocesses need a shared database (KAM_DB=postgres)"),
]


def start_worker(*args: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {**os.environ, "KAM_DB": "postgres", "KAM_PG_NAME": db["NAME"], "KAM_PG_USER": db["USER"],
           "KAM_PG_PASSWORD": db["PASSWORD"], "KAM_PG_HOST": db["HOST"], "KAM_PG_PORT": str(db["PORT"]),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "kam.settings"),
           "KAM_DEBUG": "0"}
    return subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, "--interval", "0.2", "--tick", "0.5", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(predicate, timeout: float = 60.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def test_killed_worker_leaves_nothing_half_saved_and_the_job_is_retried(world):
    """A worker SIGKILLed during a handler's transaction: no row of the run is saved, the
    progress was visible while it ran, and the sweep queues the job again; a second worker
    completes it (attempt 2)."""
    job = job_start(user=world.user("me"), kind="tests.lines", params={"count": 6, "prefix": "kill", "delay": 1.0})
    worker = start_worker("--no-scheduler")
    try:
        wait_for(lambda: Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, done__gte=3).exists(),
                 what="progress of the running job")
        job.refresh_from_db()
        assert job.total == 6 and 0 < job.percent < 100 and job.message.startswith("已创建")
        # The rows written so far are inside the uncommitted transaction.
        assert not BusinessLine.objects.filter(code__startswith="kill-").exists()
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert not BusinessLine.objects.filter(code__startswith="kill-").exists()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.attempts == 1

    os.environ["KAM_JOB_STALE_SECONDS"] = "0"
    try:
        time.sleep(0.05)
        jobs_sweep_stale()
    finally:
        del os.environ["KAM_JOB_STALE_SECONDS"]
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED

    second = start_worker("--batch")
    assert second.wait(timeout=60) == 0, second.stdout.read()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == (JobStatus.SUCCEEDED, 2, {"created": 6})
    assert BusinessLine.objects.filter(code__startswith="kill-").count() == 6


def test_two_workers_run_a_due_periodic_job_exactly_once_and_stop_cleanly(world):
    """Exactly once with two worker processes; Ctrl-C (SIGINT, ``make run``) and SIGTERM stop a
    worker and its scheduler with exit status 0."""
    due = clock.now() - dt.timedelta(seconds=1)
    sj = ScheduledJob.objects.create(code="tests.tick", name="tick", func_path="tests.jobs.handlers.periodic_mark",
                                     schedule="0 0 1", next_run_at=due)
    workers = [start_worker(), start_worker()]
    try:
        wait_for(lambda: ScheduleRun.objects.filter(scheduled_job=sj, status=RunStatus.SUCCEEDED).exists(),
                 what="the periodic run")
        time.sleep(2)  # both schedulers tick several more times meanwhile
        runs = list(ScheduleRun.objects.filter(scheduled_job=sj))
        assert len(runs) == 1, runs
        assert runs[0].output == "tick 1" and runs[0].duration_ms is not None and runs[0].worker
        assert BusinessLine.objects.filter(code__startswith="tick-").count() == 1
        sj.refresh_from_db()
        assert sj.last_status == RunStatus.SUCCEEDED and sj.next_run_at > clock.now()
    finally:
        codes = [stop(workers[0], signal.SIGINT), stop(workers[1], signal.SIGTERM)]
    assert codes == [0, 0], [w.stdout.read() for w in workers]

