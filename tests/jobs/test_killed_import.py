"""R-IMP-1 with a real worker process: an import job killed mid-way saves nothing, is reported, and
the same file imports completely afterwards."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.exchange import services as exchange
from kam.jobs.models import Job, JobStatus
from kam.jobs.services import jobs_sweep_stale
from kam.org.models import User
from tests.exchange.conftest import USER_HEADERS, xlsx
from tests.helpers.world import grant_role

from .test_worker import start_worker, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("KAM_DB") != "postgres",
                       reason="worker subprocesses need a shared database (KAM_DB=postgres)"),
]

ROWS = 2400  # above the inline threshold (2,000 rows): the import runs as a background job


def test_r_imp_1_import_job_killed_mid_way_saves_nothing_and_is_reported(world, settings, monkeypatch):
    # The worker processes read the uploaded file from the same media folder as this test.
    monkeypatch.setenv("KAM_VAR_DIR", str(settings.MEDIA_ROOT.parent))
    me = world.user("me")
    for module in ("users", "org", "roles", "imports"):
        grant_role(me, module, "all")
    rows = [USER_HEADERS] + [
        [f"kill{i:05d}", f"测试{i}", "K1", None, "account_manager", None, "是", None] for i in range(ROWS)
    ]
    batch = exchange.import_start(user=me, spec_code="org.users", file=SimpleUploadedFile("users.xlsx", xlsx(rows)))
    assert batch.job_id, "a large file runs as a background job"

    worker = start_worker("--no-scheduler")
    try:
        wait_for(lambda: Job.objects.filter(pk=batch.job_id).exclude(status=JobStatus.QUEUED).exists(), timeout=240,
                 what="the import job to start")
        time.sleep(0.2)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
    job = Job.objects.get(pk=batch.job_id)
    assert job.status == JobStatus.RUNNING, (job.status, job.error)  # killed mid-way (≈ 10 s of work)
    assert not User.objects.filter(username__startswith="kill").exists(), "nothing half-saved"
    monkeypatch.setenv("KAM_JOB_STALE_SECONDS", "0")
    time.sleep(0.05)
    jobs_sweep_stale()
    monkeypatch.delenv("KAM_JOB_STALE_SECONDS")
    job.refresh_from_db()
    # An import runs once (max_attempts 1): the sweep reports it failed with a clear message
    # rather than re-running a file the user may have corrected meanwhile.
    assert job.status == JobStatus.FAILED and job.error, job.status
    assert not User.objects.filter(username__startswith="kill").exists()
    # The same file imported again goes through completely.
    again = exchange.import_start(user=me, spec_code="org.users",
                                  file=SimpleUploadedFile("users.xlsx", xlsx(rows)))
    second = start_worker("--batch", "--no-scheduler")
    assert second.wait(timeout=600) == 0, second.stdout.read()
    job = Job.objects.get(pk=again.job_id)
    assert job.status == JobStatus.SUCCEEDED, (job.status, job.error)
    assert User.objects.filter(username__startswith="kill").count() == ROWS
