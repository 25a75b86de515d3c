"""Background jobs (后台任务) and periodic jobs (定时任务): the API other apps use.

This interface is stable; the Excel import/export engine and every app with long work use it.

Writing a handler
-----------------
A handler is registered under a *kind* (``"<app>.<what>"``) at import time of a module loaded
from the app's ``AppConfig.ready()``::

    from django.utils.translation import gettext_lazy as _
    from kam.jobs.services import job_handler

    @job_handler("exchange.import", label=_("Excel import"))
    def import_rows(job, params, progress):
        rows = read_rows(params["path"])
        progress(0, len(rows), _("Importing"))        # done, total, message
        for i, row in enumerate(rows, 1):
            customer_create(user=job.created_by, ...)  # the same services the pages call
            progress(i)                                # cheap: throttled, written by a side thread
        job.attach_file("errors.xlsx", data)           # optional result file (bytes or file)
        return {"created": len(rows)}                  # JSON-able result -> Job.result

Rules for handlers:

- ``job_handler(kind, *, label=None, max_attempts=2)``: ``label`` is the name users see (the
  default name of every job of the kind); ``max_attempts=1`` disables the retry after a dead
  worker (for work that must not run twice, e.g. an import whose file was consumed).
- ``handler(job, params, progress)``: ``job`` is the :class:`~kam.jobs.models.Job` (read
  ``job.created_by``, ``job.params``), ``params`` the JSON parameters given at start,
  ``progress(done, total=None, message="")`` reports progress.
- All business writes of one run happen in ONE database transaction opened by the runner: a job
  that fails or whose worker is killed leaves nothing half-saved. Do not write to the ``Job`` row
  yourself (use ``progress`` and the return value).
- Raise ``django.core.exceptions.ValidationError`` (or any exception) to fail the job: every
  write is rolled back, the job is marked failed and the message is shown to the user.
- Audit entries written during the run name ``job.created_by`` as the actor.
- ``params`` and the return value must be JSON-serialisable (dates as ISO strings).

Starting and following jobs
---------------------------
- ``job_start(*, user, kind, params=None, label=None) -> Job``: creates the job (status queued)
  and enqueues it on ``django.tasks`` (database backend); ``manage.py kam_worker`` runs it.
  Call it inside your request's transaction if you like: the worker sees the job after commit.
- ``job_run_inline(*, user, kind, params=None, label=None) -> Job``: runs the handler now, in
  this process, with the same transaction/audit/result rules (for small work). The returned job
  is finished (succeeded or failed); it never raises the handler's error.
- ``jobs_run_queued() -> int``: runs every queued job now in this process (tests, scripts).
- ``job_cancel(*, user, job) -> Job``: cancels a queued job (owner or holder of ``jobs`` change).
- ``job_get_for_user(user, pk) -> Job`` (raises ``Job.DoesNotExist`` outside the user's scope,
  live progress merged) / ``Job.objects.restrict(user, "view")``: what a user may see.
- ``job_can_download(user, job)``: a result file is downloadable by its owner or an administrator
  (a holder of ``jobs`` change over the job).
- The page 我的后台任务 (``jobs:my_jobs``) and ``/api/v1/system/jobs/`` list a user's jobs with
  status, progress and the result file link.

Retries
-------
A job whose worker died (no heartbeat for ``KAM_JOB_STALE_SECONDS``, default 300 s) is found by
the periodic sweep ``jobs.sweep_stale``: it is queued again while ``attempts < max_attempts``
(default 2, i.e. retried once) and otherwise marked failed with a message saying so. Handlers
must therefore be safe to run again (their previous attempt was rolled back as a whole).

On SQLite (the trial database) one transaction writes at a time: while a job runs, other writers
wait (up to 20 s). Use PostgreSQL in production; several ``kam_worker`` processes may then share
the queue.

Periodic jobs
-------------
See :mod:`kam.jobs.scheduler`: ``register_periodic(code, label, func, schedule)``; the services
``scheduled_job_pause / scheduled_job_resume / scheduled_job_run_now`` below.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from kam.core import clock
from kam.core.querysets import check_in_scope
from kam.org.permissions import has_perm

from .models import Job, JobStatus, RunStatus, RunTrigger, ScheduledJob, ScheduleRun
from .progress import ProgressReporter, live_heartbeat

logger = logging.getLogger(__name__)


def to_json(value: Any) -> Any:
    """``value`` as plain JSON data (dates as ISO text, decimals as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))

Handler = Callable[[Job, dict, Callable[..., None]], Any]


@dataclass(frozen=True)
class JobKind:
    kind: str
    label: str | Promise
    func: Handler
    max_attempts: int = 2


HANDLERS: dict[str, JobKind] = {}


def job_handler(kind: str, *, label: str | Promise | None = None,
                max_attempts: int = 2) -> Callable[[Handler], Handler]:
    """Register ``func(job, params, progress)`` as the handler of ``kind``."""

    def decorator(func: Handler) -> Handler:
        HANDLERS[kind] = JobKind(kind, label or kind, func, max_attempts)
        return func

    return decorator


def stale_seconds() -> int:
    return int(os.environ.get("KAM_JOB_STALE_SECONDS", 300))


def _kind(kind: str) -> JobKind:
    try:
        return HANDLERS[kind]
    except KeyError:
        raise ValidationError({"kind": _("Unknown kind of job: %(kind)s") % {"kind": kind}}) from None


def _new_job(*, user: Any, kind: str, params: dict | None, label: str | None) -> Job:
    spec = _kind(kind)
    return Job.objects.create(
        kind=kind, label=str(label or spec.label)[:200], created_by=user if getattr(user, "pk", None) else None,
        params=to_json(params or {}), max_attempts=spec.max_attempts, created_at=clock.now(),
    )


def _enqueue(job: Job) -> None:
    from .tasks import run_job

    result = run_job.enqueue(job.pk)
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.task_id = str(result.id)


def job_start(*, user: Any, kind: str, params: dict | None = None, label: str | None = None) -> Job:
    """Create a job and queue it for the background worker."""
    with transaction.atomic():
        job = _new_job(user=user, kind=kind, params=params, label=label)
        _enqueue(job)
    return job


def job_run_inline(*, user: Any, kind: str, params: dict | None = None, label: str | None = None) -> Job:
    """Run a job synchronously in this process; returns the finished job."""
    job = _new_job(user=user, kind=kind, params=params, label=label)
    now = clock.now()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now,
                                         attempts=F("attempts") + 1)
    job.refresh_from_db()
    _run(job, live=False)
    job.refresh_from_db()
    return job


def execute_job(job_id: int) -> str:
    """Run a queued job (called by the worker's task). Returns the final status."""
    now = clock.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, finished_at=None,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return "skipped"
    job = Job.objects.get(pk=job_id)
    return _run(job, live=True)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    if isinstance(exc, PermissionDenied):
        return str(exc) or _("You have no permission for this record.")
    return f"{type(exc).__name__}: {exc}"


def _run(job: Job, *, live: bool) -> str:
    from kam.audit.context import actor_context

    spec = HANDLERS.get(job.kind)
    reporter = ProgressReporter(job.pk, done=0, total=job.total, message="", live=live)
    job._attached = None  # type: ignore[attr-defined]
    try:
        if spec is None:
            raise ValidationError(_("Unknown kind of job: %(kind)s") % {"kind": job.kind})
        with actor_context(job.created_by, source="job"), transaction.atomic():
            result = spec.func(job, job.params, reporter)
    except (KeyboardInterrupt, SystemExit):
        reporter.close()
        _discard_attachment(job)
        job_retry_or_fail(job.pk, _("The worker was stopped while running this job."))
        raise
    except Exception as exc:
        reporter.close()
        _discard_attachment(job)
        logger.warning("job %s (%s) failed:\n%s", job.pk, job.kind, traceback.format_exc())
        done, total, message = reporter.snapshot()
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=_error_text(exc), done=done, total=total, message=message,
            finished_at=clock.now(),
        )
        return JobStatus.FAILED
    reporter.close()
    done, total, message = reporter.snapshot()
    if total and done < total:
        done = total
    fields: dict[str, Any] = {
        "status": JobStatus.SUCCEEDED, "done": done, "total": total, "message": message, "error": "",
        "result": to_json(result) if result is not None else None, "finished_at": clock.now(),
    }
    attached = getattr(job, "_attached", None)
    if attached:
        fields["result_file"] = attached
    Job.objects.filter(pk=job.pk).update(**fields)
    return JobStatus.SUCCEEDED


def _discard_attachment(job: Job) -> None:
    attached = getattr(job, "_attached", None)
    if attached:
        job.result_file.storage.delete(attached)
        job._attached = None  # type: ignore[attr-defined]



def job_retry_or_fail(job_id: int, reason: str) -> str:
    """Queue a job again when it has attempts left, else mark it failed with ``reason``."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id, status=JobStatus.RUNNING).first()
        if job is None:
            return "skipped"
        old_task = job.task_id
        if job.attempts < job.max_attempts:
            job.status = JobStatus.QUEUED
            job.message = reason
            job.heartbeat_at = None
            job.save(update_fields=["status", "message", "heartbeat_at"])
            _enqueue(job)
            outcome = JobStatus.QUEUED
        else:
            job.status = JobStatus.FAILED
            job.error = _("%(reason)s Gave up after %(n)d attempts.") % {"reason": reason, "n": job.attempts}
            job.finished_at = clock.now()
            job.save(update_fields=["status", "error", "finished_at"])
            outcome = JobStatus.FAILED
        _fail_task_result(old_task, reason)
    return outcome


def _fail_task_result(task_id: str, reason: str) -> None:
    """Mark the dead worker's task row failed, so the queue does not show it running forever."""
    if not task_id:
        return
    from django_tasks_db.models import DBTaskResult

    try:
        DBTaskResult.objects.filter(pk=task_id, status="RUNNING").update(
            status="FAILED", finished_at=clock.now(), exception_class_path="kam.jobs.WorkerLost",
            traceback=reason,
        )
    except (ValueError, ValidationError):
        pass


def jobs_sweep_stale() -> str:
    """Find running jobs whose worker died and retry or fail them (periodic ``jobs.sweep_stale``)."""
    import datetime as dt

    limit = clock.now() - dt.timedelta(seconds=stale_seconds())
    reason = _("The worker stopped responding while running this job.")
    retried = failed = 0
    for job in Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=limit).only("id"):
        beat = live_heartbeat(job.pk)
        if beat is not None and beat >= limit.timestamp():
            continue
        outcome = job_retry_or_fail(job.pk, reason)
        retried += outcome == JobStatus.QUEUED
        failed += outcome == JobStatus.FAILED
    lost = 0
    for run in ScheduleRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=limit).only("id"):
        beat = live_heartbeat(run.pk, "run-")
        if beat is not None and beat >= limit.timestamp():
            continue
        lost += ScheduleRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, finished_at=clock.now(), error=reason)
    text = _("%(retried)d retried, %(failed)d failed") % {"retried": retried, "failed": failed}
    if lost:
        text += "; " + _("%(n)d periodic runs of stopped workers marked failed") % {"n": lost}
    return text


def job_cancel(*, user: Any, job: Job) -> Job:
    """Cancel a queued job."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.created_by_id != getattr(user, "pk", None):
            check_in_scope(user, job, "change")
        if job.status != JobStatus.QUEUED:
            raise ValidationError({"status": _("Only a queued job can be cancelled.")})
        job.status = JobStatus.CANCELLED
        job.finished_at = clock.now()
        job.save(update_fields=["status", "finished_at"])
    return job


def jobs_run_queued() -> int:
    """Run every queued job now, in this process, oldest first; returns how many ran.

    For tests and scripts that have no worker running (the job's queue row is left behind and
    skipped by a worker later, since the job is no longer queued)."""
    ran = 0
    for pk in Job.objects.filter(status=JobStatus.QUEUED).order_by("created_at", "id").values_list("pk", flat=True):
        ran += execute_job(pk) != "skipped"
    return ran


def job_get_for_user(user: Any, pk: Any) -> Job:
    """A job ``user`` may see: always their own, others within their scope of 后台任务."""
    job = (Job.objects.filter(pk=pk, created_by=user).select_related("created_by").first()
           or Job.objects.restrict(user, "view").filter(pk=pk).select_related("created_by").first())
    if job is None:
        raise Job.DoesNotExist
    return job.refresh_live_progress()


def job_can_download(user: Any, job: Job) -> bool:
    if not job.result_file or not getattr(user, "is_authenticated", False):
        return False
    if job.created_by_id == user.pk:
        return True
    return Job.objects.restrict(user, "change").filter(pk=job.pk).exists()


# Periodic jobs: pause, resume, run now.

def _check_scheduler(user: Any) -> None:
    if not has_perm(user, "scheduler", "change"):
        raise PermissionDenied(_("You have no permission to manage scheduled jobs."))


def scheduled_job_pause(*, user: Any, scheduled_job: ScheduledJob) -> ScheduledJob:
    _check_scheduler(user)
    with transaction.atomic():
        sj = ScheduledJob.objects.select_for_update().get(pk=scheduled_job.pk)
        sj.enabled = False
        sj.save(update_fields=["enabled"])
    return sj


def scheduled_job_resume(*, user: Any, scheduled_job: ScheduledJob) -> ScheduledJob:
    from .scheduler import Schedule

    _check_scheduler(user)
    with transaction.atomic():
        sj = ScheduledJob.objects.select_for_update().get(pk=scheduled_job.pk)
        sj.enabled = True
        sj.next_run_at = Schedule.parse(sj.schedule).next_after(clock.now())
        sj.save(update_fields=["enabled", "next_run_at"])
    return sj


def scheduled_job_run_now(*, user: Any, scheduled_job: ScheduledJob) -> ScheduleRun:
    """Queue one run immediately (the schedule itself is unchanged)."""
    from .tasks import run_scheduled

    _check_scheduler(user)
    with transaction.atomic():
        run = ScheduleRun.objects.create(
            scheduled_job=scheduled_job, trigger=RunTrigger.MANUAL, triggered_by=user,
            status=RunStatus.QUEUED, created_at=clock.now(), due_at=clock.now(),
        )
        run_scheduled.enqueue(run.pk)
    return run


def jobs_prune(days: int = 90) -> str:
    """Remove finished jobs (with their files), runs and task rows older than ``days`` days."""
    import datetime as dt

    from django_tasks_db.models import DBTaskResult

    limit = clock.now() - dt.timedelta(days=days)
    old = Job.objects.filter(status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED],
                             finished_at__lt=limit)
    for job in old.exclude(result_file=""):
        job.result_file.delete(save=False)
    jobs, _n = old.delete()
    runs, _n = ScheduleRun.objects.filter(finished_at__lt=limit).delete()
    tasks, _n = DBTaskResult.objects.filter(status__in=["SUCCESSFUL", "FAILED"], finished_at__lt=limit).delete()
    return _("%(jobs)d jobs, %(runs)d runs, %(tasks)d task rows removed") % {"jobs": jobs, "runs": runs, "tasks": tasks}
