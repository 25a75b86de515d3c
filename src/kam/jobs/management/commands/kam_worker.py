"""``manage.py kam_worker``: the background worker and the scheduler in one process.

The main thread runs the django-tasks-db worker (it executes queued background jobs and
scheduled runs); a second thread ticks the scheduler. SIGINT/SIGTERM stop both cleanly: the
worker finishes the job it is running (a second signal interrupts it; the job is then queued
again or failed), the scheduler stops after its current tick. Run several workers to share the
queue (PostgreSQL); each periodic run still happens exactly once.
"""

from __future__ import annotations

import logging
import os
import socket

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from kam.jobs.scheduler import SchedulerLoop, sync_periodic

logger = logging.getLogger("kam.jobs")


class Command(BaseCommand):
    help = "Run the background worker and the scheduler of periodic jobs."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between queue polls when idle.")
        parser.add_argument("--tick", type=float, default=5.0, help="Seconds between scheduler ticks.")
        parser.add_argument("--no-scheduler", action="store_true", help="Run only the queue worker.")
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit.")
        parser.add_argument("--max-tasks", type=int, default=None, help="Exit after this many tasks.")
        parser.add_argument("--worker-id", default="", help="Unique id of this worker (default: host-pid-random).")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
        for name in ("kam.jobs", "django_tasks_db", "django.tasks"):
            log = logging.getLogger(name)
            log.setLevel(level)
            if not log.hasHandlers():
                log.addHandler(logging.StreamHandler(self.stdout))
        worker_id = options["worker_id"] or f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(6)}"
        worker = Worker(
            queue_names=["*"], interval=options["interval"], batch=options["batch"], backend_name="default",
            startup_delay=False, max_tasks=options["max_tasks"], worker_id=worker_id, excluded_queue_names=[],
        )
        loop = None
        if options["no_scheduler"] or options["batch"]:
            sync_periodic()
        else:
            loop = SchedulerLoop(worker_id, interval=options["tick"])
            loop.start()
        worker.configure_signals()
        logger.info("kam_worker %s started", worker_id)
        try:
            worker.run()
        finally:
            if loop is not None:
                loop.stop()
                loop.join(timeout=30)
            worker.reset_signals()
            logger.info("kam_worker %s stopped", worker_id)
