"""The real worker process on SQLite (the out-of-the-box trial database): progress is visible
while the handler's transaction holds the write lock, and a worker killed mid-way leaves nothing
half-saved. Runs on a scratch SQLite file shared by the subprocesses (the pytest SQLite database
lives in memory)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.environ.get("KAM_DB") == "postgres", reason="the SQLite variant")

SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
import tests.jobs.handlers
from kam.jobs.services import job_start
job = job_start(user=None, kind="tests.lines", params={"count": 6, "prefix": "sq", "delay": 1.0})
print(job.pk)
"""

SWEEP_AND_RUN = """
import django
django.setup()
import tests.jobs.handlers
from django.core.management import call_command
from kam.jobs.models import Job
from kam.jobs.services import jobs_sweep_stale
jobs_sweep_stale()
print(Job.objects.get().status)
call_command("kam_worker", "--batch", "--interval", "0.2")
"""

WORKER = """
import sys
import django
django.setup()
import tests.jobs.handlers
from django.core.management import call_command
call_command("kam_worker", *sys.argv[1:])
"""


def test_sqlite_worker_progress_kill_and_retry(tmp_path):
    env = {**os.environ, "KAM_DB": "sqlite", "KAM_SQLITE_PATH": str(tmp_path / "kam.sqlite3"),
           "KAM_VAR_DIR": str(tmp_path / "var"), "KAM_DEBUG": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "kam.settings")}

    def run(code: str, *args: str, extra: dict | None = None) -> str:
        done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env={**env, **(extra or {})},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip()

    job_id = int(run(SETUP).splitlines()[-1])
    db = sqlite3.connect(tmp_path / "kam.sqlite3", timeout=20)

    def row():
        return db.execute("SELECT status, attempts, done, total FROM jobs_job WHERE id = ?", (job_id,)).fetchone()

    def lines() -> int:
        return db.execute("SELECT count(*) FROM org_businessline WHERE code LIKE 'sq-%'").fetchone()[0]

    live = tmp_path / "var" / "jobs" / f"{job_id}.json"
    worker = subprocess.Popen([sys.executable, "-c", WORKER, "--no-scheduler", "--interval", "0.2"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        progress = None
        while time.monotonic() < deadline:
            try:
                progress = json.loads(live.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                progress = None
            if progress and progress["done"] >= 3:
                break
            time.sleep(0.1)
        assert progress and progress["total"] == 6 and progress["message"].startswith("已创建"), progress
        assert row()[0] == "running" and lines() == 0
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert lines() == 0 and row()[:2] == ("running", 1)

    swept = run(SWEEP_AND_RUN, extra={"KAM_JOB_STALE_SECONDS": "0"})
    assert swept.splitlines()[0] == "queued"
    assert row() == ("succeeded", 2, 6, 6)
    assert lines() == 6
    db.close()
