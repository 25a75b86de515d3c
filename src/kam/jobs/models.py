"""Background jobs a user can follow (``Job``) and periodic jobs (``ScheduledJob``, ``ScheduleRun``).

See :mod:`kam.jobs.services` for the API other apps use.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.querysets import RestrictedQuerySet, ScopeSpec


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


def _result_path(job: Job, filename: str) -> str:
    return f"jobs/{job.created_at:%Y%m}/{job.pk}/{filename}"


class Job(models.Model):
    """后台任务: one run of a registered handler, started by a user, with progress and a result."""

    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    label = models.CharField(_("name"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="jobs",
    )
    status = models.CharField(_("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    result_file = models.FileField(_("result file"), upload_to=_result_path, max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=2)
    task_id = models.CharField(_("task id"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="jobs", org="created_by__org_unit", owner="created_by")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="jobs_job_status_hb_idx")]

    def __str__(self) -> str:
        return self.label or self.kind

    @property
    def percent(self) -> int:
        """Progress in whole percent (100 once succeeded)."""
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return max(0, min(100, int(self.done * 100 / self.total)))

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    def attach_file(self, filename: str, content: bytes | File) -> str:
        """Store ``content`` as the job's result file (kept only if the job succeeds); returns
        the stored name."""
        if isinstance(content, bytes | bytearray):
            content = ContentFile(bytes(content))
        name = self.result_file.field.generate_filename(self, os.path.basename(filename))
        self._attached = self.result_file.storage.save(name, content)
        return self._attached

    def refresh_live_progress(self) -> Job:
        """Merge the live progress of a running job kept outside the database (SQLite only)."""
        from .progress import read_live

        if self.status == JobStatus.RUNNING:
            live = read_live(self.pk)
            if live:
                self.done, self.total, self.message = live["done"], live["total"], live["message"]
        return self


class ScheduledJob(models.Model):
    """定时任务: a registered periodic callable and its schedule."""

    code = models.CharField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    func_path = models.CharField(_("callable"), max_length=255)
    schedule = models.CharField(
        _("schedule"), max_length=60,
        help_text=_("Seconds between runs, or \"minute hour day-of-month\" with * for any."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    registered = models.BooleanField(_("registered"), default=True, editable=False)
    next_run_at = models.DateTimeField(_("next run at"), null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)
    last_status = models.CharField(_("last status"), max_length=20, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="scheduler")

    class Meta:
        ordering = ["code"]
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", pgettext_lazy("run trigger", "Schedule")
    MANUAL = "manual", _("Run now")


class ScheduleRun(models.Model):
    """One execution of a scheduled job (执行日志)."""

    scheduled_job = models.ForeignKey(
        ScheduledJob, verbose_name=_("scheduled job"), on_delete=models.CASCADE, related_name="runs"
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=RunTrigger.choices, default=RunTrigger.SCHEDULE)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("triggered by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    output = models.TextField(_("output"), blank=True)
    error = models.TextField(_("error"), blank=True)
    worker = models.CharField(_("worker"), max_length=64, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="scheduler")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("scheduled job run")
        verbose_name_plural = _("scheduled job runs")
        indexes = [models.Index(fields=["scheduled_job", "-created_at"], name="jobs_run_job_created_idx")]

    def __str__(self) -> str:
        return f"{self.scheduled_job} · {self.created_at:%Y-%m-%d %H:%M}"
