"""Import batches (导入记录) and saved list views (场景)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core import clock
from kam.core.querysets import RestrictedQuerySet, ScopeSpec

from .specs import MODES


class BatchStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("import status", "Waiting")
    RUNNING = "running", pgettext_lazy("import status", "Importing")
    SUCCEEDED = "succeeded", pgettext_lazy("import status", "Imported")
    FAILED = "failed", pgettext_lazy("import status", "Failed")


def _upload_path(batch: ImportBatch, filename: str) -> str:
    return f"exchange/imports/{clock.now():%Y%m}/{filename}"


def _report_path(batch: ImportBatch, filename: str) -> str:
    return f"exchange/reports/{clock.now():%Y%m}/{filename}"


class ImportBatch(models.Model):
    """One Excel import: the file, the mode, the outcome and, if it failed, the error report."""

    spec = models.CharField(_("import"), max_length=60, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.SET_NULL,
                             null=True, related_name="import_batches")
    file = models.FileField(_("file"), upload_to=_upload_path, max_length=300)
    file_name = models.CharField(_("file name"), max_length=255)
    mode = models.CharField(_("mode"), max_length=10, choices=MODES)
    status = models.CharField(_("status"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    message = models.CharField(_("message"), max_length=1000, blank=True)
    errors = models.JSONField(_("error details"), default=list, blank=True)
    notes = models.JSONField(_("notes"), default=dict, blank=True)
    error_report = models.FileField(_("error report"), upload_to=_report_path, max_length=300, blank=True)
    job_id = models.BigIntegerField(_("background job"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="imports", org="user__org_unit", owner="user")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.spec} · {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (BatchStatus.SUCCEEDED, BatchStatus.FAILED)

    @property
    def spec_label(self) -> str:
        from .specs import get_spec

        spec = get_spec(self.spec)
        return str(spec.label) if spec else self.spec


class SavedView(models.Model):
    """场景: a named filter of one list, for its owner or shared with everyone who sees the list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                             related_name="saved_views")
    list_key = models.CharField(_("list"), max_length=60, db_index=True)
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filter"), max_length=2000, blank=True)
    shared = models.BooleanField(_("shared"), default=False,
                                 help_text=_("Shared views are offered to everyone who can see the list."))
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    # Not business data: a saved view holds only a query string; the list applies the data scope.
    class Meta:
        ordering = ["list_key", "name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint(fields=["user", "list_key", "name"], name="uniq_saved_view_name")]

    def __str__(self) -> str:
        return self.name
