"""Live progress and heartbeat of a running job.

A handler's business writes run inside one transaction, so the progress cannot be written through
the handler's own database connection (nobody would see it before the commit). The reporter
therefore writes from a small thread of its own:

- PostgreSQL (and any server database): the thread has its own connection and updates the
  ``Job`` row (``done``, ``total``, ``message``, ``heartbeat_at``) in autocommit mode;
- SQLite allows one writer at a time and the handler's transaction holds the lock, so the thread
  writes a small JSON file under ``VAR_DIR/jobs/`` instead; ``Job.refresh_live_progress`` and the
  stale-job sweep read it (its modification time is the heartbeat).

Writes are throttled: at most one every ``THROTTLE_SECONDS`` and a heartbeat every
``HEARTBEAT_SECONDS`` even when the handler reports nothing.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections

from kam.core import clock

logger = logging.getLogger(__name__)

THROTTLE_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0


def live_dir() -> Path:
    return Path(settings.VAR_DIR) / "jobs"


def live_path(job_id: int, prefix: str = "") -> Path:
    return live_dir() / f"{prefix}{job_id}.json"


def uses_live_file() -> bool:
    return connection.vendor == "sqlite"


def read_live(job_id: int) -> dict[str, Any] | None:
    """The live progress of a running job kept in a file (SQLite), or ``None``."""
    if not uses_live_file():
        return None
    try:
        data = json.loads(live_path(job_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def live_heartbeat(job_id: int, prefix: str = "") -> float | None:
    """The file heartbeat (POSIX timestamp) of a running job (or run) on SQLite, or ``None``."""
    if not uses_live_file():
        return None
    try:
        return live_path(job_id, prefix).stat().st_mtime
    except OSError:
        return None


class ProgressReporter:
    """``progress(done, total=None, message="")`` as handed to a handler.

    ``live=False`` (inline jobs) only keeps the numbers in memory; the runner saves them at the end.
    """

    prefix = ""

    def __init__(self, job_id: int, *, done: int = 0, total: int = 0, message: str = "", live: bool = True,
                 throttle: float = THROTTLE_SECONDS, heartbeat: float = HEARTBEAT_SECONDS):
        self.job_id = job_id
        self.done, self.total, self.message = done, total, message
        self.throttle = throttle
        self.heartbeat = heartbeat
        self._last_push = 0.0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._file = uses_live_file()
        if live:
            self._thread = threading.Thread(target=self._run, name=f"kam-job-{job_id}-progress", daemon=True)
            self._thread.start()

    def __call__(self, done: int, total: int | None = None, message: str = "") -> None:
        with self._lock:
            self.done = max(0, int(done))
            if total is not None:
                self.total = max(0, int(total))
            if message:
                self.message = str(message)[:500]
        now = time.monotonic()
        if self._thread is not None and (now - self._last_push >= self.throttle or self.done == self.total):
            self._last_push = now
            self._wake.set()

    def snapshot(self) -> tuple[int, int, str]:
        with self._lock:
            return self.done, self.total, self.message

    def close(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        self._thread = None
        if self._file:
            try:
                live_path(self.job_id, self.prefix).unlink()
            except OSError:
                pass

    # The writer thread.
    def _run(self) -> None:
        try:
            while True:
                self._wake.wait(timeout=self.heartbeat)
                self._wake.clear()
                if self._stop.is_set():
                    return
                try:
                    self._write()
                except Exception:  # a progress write must never break the job
                    logger.exception("job %s: progress write failed", self.job_id)
        finally:
            if not self._file:
                connections.close_all()

    def _write(self) -> None:
        done, total, message = self.snapshot()
        if self._file:
            path = live_path(self.job_id, self.prefix)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"done": done, "total": total, "message": message}), encoding="utf-8")
            os.replace(tmp, path)
            return
        self._write_row(done, total, message)

    def _write_row(self, done: int, total: int, message: str) -> None:
        from .models import Job, JobStatus

        Job.objects.filter(pk=self.job_id, status=JobStatus.RUNNING).update(
            done=done, total=total, message=message, heartbeat_at=clock.now()
        )


class RunHeartbeat(ProgressReporter):
    """The heartbeat of a running periodic job (``ScheduleRun``), for the stale sweep."""

    prefix = "run-"

    def __init__(self, run_id: int):
        super().__init__(run_id)
        self._wake.set()  # beat at once

    def _write_row(self, done: int, total: int, message: str) -> None:
        from .models import RunStatus, ScheduleRun

        ScheduleRun.objects.filter(pk=self.job_id, status=RunStatus.RUNNING).update(heartbeat_at=clock.now())
