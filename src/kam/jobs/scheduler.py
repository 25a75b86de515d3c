"""定时任务: periodic jobs run by the worker (``manage.py kam_worker``).

Registering (from an app's ``AppConfig.ready()``)::

    from kam.jobs.scheduler import register_periodic

    register_periodic("assessment.compute", _("Monthly assessment computation"),
                      "kam.assessment.services.assessment_compute_due", "0 2 7")
    register_periodic("jobs.sweep_stale", _("Retry background jobs of stopped workers"),
                      jobs_sweep_stale, 60)

``func`` is a callable (or its dotted path) taking no argument; what it returns (text or JSON-able
data) is kept as the run's output, an exception fails the run. It runs in one transaction, as the
system (no user), on one worker.

Schedules:

- an integer (or digits as text): seconds between runs, e.g. ``60`` or ``"3600"``;
- ``"minute hour day-of-month"``: three fields, each ``*`` (any) or a comma list of numbers, in
  the platform's time zone. ``"0 2 7"`` = 02:00 on the 7th of every month; ``"30 1 *"`` = 01:30
  every day; ``"0,30 * *"`` = every half hour.

Rows of ``ScheduledJob`` are created/updated after every ``migrate`` and when a worker starts; the
schedule comes from code, an administrator pauses, resumes or runs a job now. A run missed while
no worker was up is run once when a worker comes back (no catch-up of every missed run).

Exactly once: a worker claims a due run with a compare-and-set ``UPDATE … SET next_run_at = <next>
WHERE id = … AND next_run_at = <due>``; only the worker whose update hit the row creates the
``ScheduleRun`` and queues it, so several workers (threads or processes) never run the same due
run twice. The queued run is then taken by exactly one worker through the task queue.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connections, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kam.core import clock

from .models import RunStatus, RunTrigger, ScheduledJob, ScheduleRun
from .progress import RunHeartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    """Either ``every`` seconds or a (minutes, hours, days) spec; ``None`` in a field means any."""

    every: int | None = None
    minutes: tuple[int, ...] | None = None
    hours: tuple[int, ...] | None = None
    days: tuple[int, ...] | None = None

    @classmethod
    def parse(cls, spec: Any) -> Schedule:
        text = str(spec).strip()
        if text.isdigit():
            seconds = int(text)
            if seconds <= 0:
                raise ValueError(_("An interval must be at least one second."))
            return cls(every=seconds)
        parts = text.split()
        if len(parts) != 3:
            raise ValueError(_("A schedule is seconds or \"minute hour day-of-month\": %(spec)s") % {"spec": text})
        limits = ((0, 59), (0, 23), (1, 31))
        fields: list[tuple[int, ...] | None] = []
        for part, (low, high) in zip(parts, limits, strict=True):
            if part == "*":
                fields.append(None)
                continue
            try:
                values = tuple(sorted({int(v) for v in part.split(",")}))
            except ValueError:
                raise ValueError(_("Invalid schedule field: %(field)s") % {"field": part}) from None
            if not values or values[0] < low or values[-1] > high:
                raise ValueError(_("Invalid schedule field: %(field)s") % {"field": part})
            fields.append(values)
        return cls(minutes=fields[0], hours=fields[1], days=fields[2])

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first run strictly after ``moment``."""
        if self.every is not None:
            return moment + dt.timedelta(seconds=self.every)
        tz = timezone.get_current_timezone()
        local = timezone.localtime(moment, tz).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        minutes = self.minutes or tuple(range(60))
        hours = self.hours or tuple(range(24))
        day = local.date()
        for _i in range(400):
            if self.days is None or day.day in self.days:
                for hour in hours:
                    for minute in minutes:
                        candidate = timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute), tz)
                        if candidate >= local:
                            return candidate
            day += dt.timedelta(days=1)
        raise ValueError(_("The schedule never runs."))

    def describe(self) -> str:
        if self.every is not None:
            return _("every %(n)d seconds") % {"n": self.every}

        def show(values: tuple[int, ...] | None) -> str:
            return "*" if values is None else ",".join(str(v) for v in values)

        if self.minutes and self.hours and len(self.minutes) == 1 and len(self.hours) == 1:
            time_text = f"{self.hours[0]:02d}:{self.minutes[0]:02d}"
            if self.days is None:
                return _("daily at %(time)s") % {"time": time_text}
            return _("on day %(days)s of every month at %(time)s") % {"days": show(self.days), "time": time_text}

        return _("minute %(m)s, hour %(h)s, day %(d)s") % {
            "m": show(self.minutes), "h": show(self.hours), "d": show(self.days)}


@dataclass(frozen=True)
class Periodic:
    code: str
    label: str | Promise
    func_path: str
    schedule: str


PERIODIC: dict[str, Periodic] = {}


def register_periodic(code: str, label: str | Promise, func: Callable[[], Any] | str, schedule: int | str) -> Periodic:
    """Register a periodic job; its ``ScheduledJob`` row follows after ``migrate``/worker start."""
    path = func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"
    spec = str(schedule).strip()
    Schedule.parse(spec)  # fail early on a bad schedule
    periodic = Periodic(code, label, path, spec)
    PERIODIC[code] = periodic
    return periodic


def display_name(sj: ScheduledJob) -> str:
    periodic = PERIODIC.get(sj.code)
    return str(periodic.label) if periodic else sj.name


def sync_periodic() -> None:
    """Create/update the ``ScheduledJob`` rows of the registered periodic jobs (idempotent)."""
    now = clock.now()
    with translation.override(settings.LANGUAGE_CODE):
        for p in PERIODIC.values():
            name = str(p.label)[:200]
            sj = ScheduledJob.objects.filter(code=p.code).first()
            if sj is None:
                ScheduledJob.objects.create(code=p.code, name=name, func_path=p.func_path, schedule=p.schedule,
                                            next_run_at=Schedule.parse(p.schedule).next_after(now))
                continue
            changed = {}
            if sj.schedule != p.schedule or sj.next_run_at is None:
                changed["schedule"] = p.schedule
                changed["next_run_at"] = Schedule.parse(p.schedule).next_after(now)
            if sj.name != name:
                changed["name"] = name
            if sj.func_path != p.func_path:
                changed["func_path"] = p.func_path
            if not sj.registered:
                changed["registered"] = True
            if changed:
                ScheduledJob.objects.filter(pk=sj.pk).update(**changed)
    ScheduledJob.objects.exclude(code__in=list(PERIODIC)).filter(registered=True).update(registered=False)


def scheduler_tick(worker: str = "") -> list[ScheduleRun]:
    """Claim every due periodic job (compare-and-set) and queue one run of each."""
    from .tasks import run_scheduled

    now = clock.now()
    runs = []
    due = list(
        ScheduledJob.objects.filter(enabled=True, registered=True, next_run_at__lte=now)
        .values_list("pk", "next_run_at", "schedule")
    )
    for pk, due_at, spec in due:
        try:
            nxt = Schedule.parse(spec).next_after(now)
        except ValueError:
            logger.error("scheduled job %s has an invalid schedule %r", pk, spec)
            continue
        with transaction.atomic():
            claimed = ScheduledJob.objects.filter(pk=pk, enabled=True, next_run_at=due_at).update(
                next_run_at=nxt, last_status=RunStatus.QUEUED
            )
            if not claimed:
                continue
            run = ScheduleRun.objects.create(
                scheduled_job_id=pk, trigger=RunTrigger.SCHEDULE, due_at=due_at, status=RunStatus.QUEUED,
                created_at=now, worker=worker[:64],
            )
            run_scheduled.enqueue(run.pk)
        runs.append(run)
    return runs


def execute_run(run_id: int, worker: str = "") -> str:
    """Execute one queued run (called by the worker's task) and record its outcome."""
    from kam.audit.context import actor_context

    now = clock.now()
    claimed = ScheduleRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now, **({"worker": worker[:64]} if worker else {})
    )
    if not claimed:
        return "skipped"
    run = ScheduleRun.objects.select_related("scheduled_job").get(pk=run_id)
    sj = run.scheduled_job
    ScheduledJob.objects.filter(pk=sj.pk).update(last_run_at=now, last_status=RunStatus.RUNNING)
    started = time.monotonic()
    output, error, status = "", "", RunStatus.SUCCEEDED
    heartbeat = RunHeartbeat(run_id)
    try:
        func = import_string(sj.func_path)
        with actor_context(None, source="system"), transaction.atomic():
            value = func()
        if value is not None:
            output = value if isinstance(value, str) else json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    except Exception:
        status = RunStatus.FAILED
        error = traceback.format_exc()
        logger.warning("scheduled job %s failed:\n%s", sj.code, error)
    finally:
        heartbeat.close()
    duration = int((time.monotonic() - started) * 1000)
    ScheduleRun.objects.filter(pk=run_id).update(
        status=status, finished_at=clock.now(), duration_ms=duration, output=output[:10000], error=error[:20000]
    )
    ScheduledJob.objects.filter(pk=sj.pk).update(last_status=status)
    return status


class SchedulerLoop(threading.Thread):
    """The scheduler side of ``kam_worker``: ticks every ``interval`` seconds until stopped."""

    def __init__(self, worker: str, interval: float = 5.0):
        super().__init__(name="kam-scheduler", daemon=True)
        self.worker = worker
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            self._guard(sync_periodic)
            while not self.stopped.is_set():
                self._guard(lambda: scheduler_tick(self.worker))
                self.stopped.wait(self.interval)
        finally:
            connections.close_all()

    def _guard(self, fn: Callable[[], Any]) -> None:
        try:
            close_old_connections()
            fn()
        except Exception:
            logger.exception("scheduler tick failed")

    def stop(self) -> None:
        self.stopped.set()
