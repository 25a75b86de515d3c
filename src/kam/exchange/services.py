"""Writes of the exchange app: starting and running imports and exports, saved views.

Pages, the API and background jobs call these.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.http import QueryDict
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kam.core import clock
from kam.core.pagination import capped_count
from kam.org.permissions import has_perm

from . import engine
from .models import BatchStatus, ImportBatch, SavedView
from .scenes import apply_scene, clean_query
from .specs import MODE_CREATE, MODE_UPDATE, ExportSpec, ImportSpec, get_spec

IMPORT_JOB = "exchange.import"
EXPORT_JOB = "exchange.export"
MAX_STORED_ERRORS = 1000


def inline_import_rows() -> int:
    """Files with more data rows than this run as a background job."""
    return int(getattr(settings, "KAM_IMPORT_INLINE_ROWS", 2000))


def inline_export_rows() -> int:
    """Exports with more rows than this run as a background job."""
    return int(getattr(settings, "KAM_EXPORT_INLINE_ROWS", 20000))


def jobs_available() -> bool:
    return apps.is_installed("kam.jobs")


def log_operation(*, user: Any, action: str, module: str, description: str, request: Any = None,
                  failed: bool = False, error: str = "") -> None:
    """An operation-log entry (系统管理 › 操作日志) when the system app is installed."""
    if not apps.is_installed("kam.system"):
        return
    from kam.system.models import OperationResult
    from kam.system.services import log_operation as write

    write(user=user, action=action, module=module, description=description[:500], request=request,
          result=OperationResult.FAILURE if failed else OperationResult.SUCCESS, error_message=error)


def get_import_spec(code: str, user: Any) -> ImportSpec:
    spec = get_spec(code)
    if not isinstance(spec, ImportSpec):
        raise ValidationError({"spec": _("Unknown import “%(spec)s”.") % {"spec": code}})
    if not has_perm(user, spec.module, "change"):
        raise PermissionDenied(_("You have no permission to import into “%(name)s”.") % {"name": spec.label})
    return spec


def get_export_spec(code: str, user: Any) -> ExportSpec:
    spec = get_spec(code)
    if spec is None:
        raise ValidationError({"spec": _("Unknown export “%(spec)s”.") % {"spec": code}})
    if not has_perm(user, spec.module, "view"):
        raise PermissionDenied(_("You have no permission to export “%(name)s”.") % {"name": spec.label})
    return spec


def _row_count(data: bytes) -> int:
    """Data rows of the first sheet (without reading the cells), 0 when unreadable."""
    import io

    from python_calamine import CalamineError, CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        return max(0, sheet.height - 1)
    except (CalamineError, ValueError, OSError, IndexError):
        return 0


def import_start(*, user: Any, spec_code: str, file: Any, mode: str = MODE_CREATE, request: Any = None) -> ImportBatch:
    """Store the uploaded file as an import batch and run it — inline for small files, as a
    background job above :func:`inline_import_rows` rows. Returns the batch (finished when inline)."""
    spec = get_import_spec(spec_code, user)
    if mode not in (MODE_CREATE, MODE_UPDATE):
        raise ValidationError({"mode": _("Choose “create only” or “update existing”.")})
    if file is None:
        raise ValidationError({"file": _("Choose an Excel file (.xlsx).")})
    name = os.path.basename(getattr(file, "name", "") or "import.xlsx")
    if not name.lower().endswith(".xlsx"):
        raise ValidationError({"file": _("Only Excel workbooks (.xlsx) can be imported; download the template.")})
    data = file.read() if hasattr(file, "read") else bytes(file)
    batch = ImportBatch(spec=spec.code, user=user, file_name=name[:255], mode=mode,
                        language=translation.get_language() or settings.LANGUAGE_CODE)
    batch.file.save(name, ContentFile(data), save=False)
    batch.save()
    rows = _row_count(data)
    if rows > inline_import_rows() and jobs_available():
        from kam.jobs.services import job_start

        batch.rows = rows
        job = job_start(user=user, kind=IMPORT_JOB, params={"batch": batch.pk},
                        label=_("Import: %(name)s") % {"name": spec.label})
        batch.job_id = job.pk
        batch.save(update_fields=["rows", "job_id"])
    else:
        import_run(batch=batch, data=data)
    log_operation(user=user, action="import", module=spec.module, request=request,
                  description=_("Import “%(name)s” from %(file)s") % {"name": spec.label, "file": name},
                  failed=batch.status == BatchStatus.FAILED, error=batch.message)
    return batch


def import_run(*, batch: ImportBatch, data: bytes | None = None, progress: Any = None) -> ImportBatch:
    """Run the import of ``batch`` and store its outcome (counts, errors, error report)."""
    spec = get_spec(batch.spec)
    if data is None:
        with batch.file.open("rb") as fh:
            data = fh.read()
    batch.status = BatchStatus.RUNNING
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    with translation.override(batch.language or settings.LANGUAGE_CODE):
        if not isinstance(spec, ImportSpec):
            result = engine.ImportResult(file_error=_("Unknown import “%(spec)s”.") % {"spec": batch.spec})
        else:
            result = engine.run_import(spec, user=batch.user, data=data, mode=batch.mode, progress=progress)
        batch.rows = result.total
        batch.created_count = result.created
        batch.updated_count = result.updated
        batch.unchanged_count = result.unchanged
        batch.error_count = len(result.errors)
        batch.errors = result.errors[:MAX_STORED_ERRORS]
        batch.notes = {str(k): v for k, v in result.notes.items()}
        batch.finished_at = clock.now()
        if result.ok:
            batch.status = BatchStatus.SUCCEEDED
            batch.message = _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % {
                "created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        else:
            batch.status = BatchStatus.FAILED
            batch.message = result.file_error or _(
                "%(rows)d of %(total)d rows have errors; nothing was imported. Download the error report, "
                "correct the rows and import the report again."
            ) % {"rows": len({e["row"] for e in result.errors}), "total": result.total}
        if result.report:
            base = os.path.splitext(batch.file_name)[0]
            batch.error_report.save(f"{base}-{_('errors')}.xlsx", ContentFile(result.report), save=False)
    batch.save()
    return batch


def import_batch_take_notes(*, user: Any, batch: ImportBatch) -> list[tuple[int, str]]:
    """The notes of a finished batch (generated initial passwords) for the user who imported it,
    by row — once: they are cleared as they are handed out, so no password stays stored in clear."""
    if batch.user_id != getattr(user, "pk", None) or not batch.is_finished or not batch.notes:
        return []
    notes = sorted((int(k), v) for k, v in batch.notes.items())
    ImportBatch.objects.filter(pk=batch.pk).update(notes={})
    batch.notes = {}
    return notes


# ---- exports ----

def export_queryset(spec: ExportSpec, user: Any, params: Any, request: Any = None, *,
                    filterset: Any = None, ordering: list[str] | None = None):
    """What the list shows for ``params``: the spec's queryset in the user's scope, the list's
    FilterSet (``filterset``, default the spec's) and the chosen scene, in the list's ``ordering``
    (default: ``?sort=`` on a model field, else the spec's ordering)."""
    if not isinstance(params, QueryDict):
        query = QueryDict(mutable=True)
        for key, value in (params or {}).items():
            if isinstance(value, list | tuple):
                query.setlist(key, [str(v) for v in value])
            else:
                query[key] = "" if value is None else str(value)
        params = query
    qs = spec.get_queryset(user)
    if filterset is not None:
        fs = filterset(params, queryset=qs, request=request)
        qs = fs.qs if fs.is_valid() else qs.none()
    else:
        qs = spec.filter_queryset(qs, params, request)
    qs = apply_scene(qs, user, params.get("scene"), list_key=spec.code)
    if ordering:
        return qs.order_by(*ordering)
    sort = params.get("ordering") or params.get("sort")
    if sort and sort.lstrip("-") in {f.name for f in spec.model._meta.concrete_fields}:
        return qs.order_by(sort, "pk")
    return qs.order_by(*spec.ordering)


def export_start(*, user: Any, spec_code: str, params: Any, request: Any = None,
                 queryset: Any = None, filterset: Any = None) -> dict[str, Any]:
    """Export what a list shows. Returns ``{"path": <temp file>, "rows": n}`` when written now, or
    ``{"job": Job}`` when the export runs as a background job.

    ``queryset``: the list's own rows (``ObjectListView.get_filtered_queryset()``: scope, filter,
    scene and sort already applied); without it the spec's queryset and FilterSet are used with
    ``params``. A background export rebuilds the rows from ``params`` with the list's
    ``filterset`` class and the queryset's ordering.
    """
    spec = get_export_spec(spec_code, user)
    if queryset is not None:
        qs = spec.with_related(queryset)
    else:
        qs = export_queryset(spec, user, params, request)
    count, capped = capped_count(qs, inline_export_rows())
    query = clean_query(params)
    if capped and jobs_available():
        from kam.jobs.services import job_start

        job_params = {"spec": spec.code, "query": query,
                      "language": translation.get_language() or settings.LANGUAGE_CODE}
        if filterset is not None:
            job_params["filterset"] = f"{filterset.__module__}.{filterset.__qualname__}"
        if queryset is not None and queryset.query.order_by and all(
                isinstance(o, str) for o in queryset.query.order_by):
            job_params["ordering"] = [str(o) for o in queryset.query.order_by]
        job = job_start(user=user, kind=EXPORT_JOB, label=_("Export: %(name)s") % {"name": spec.label},
                        params=job_params)
        log_operation(user=user, action="export", module=spec.module, request=request,
                      description=_("Export “%(name)s” (background job %(job)s)") % {"name": spec.label,
                                                                                      "job": job.pk})
        return {"job": job}
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="kam-export-")
    os.close(fd)
    rows = engine.run_export(spec, qs, path, total=count)
    log_operation(user=user, action="export", module=spec.module, request=request,
                  description=_("Export “%(name)s”: %(rows)d rows") % {"name": spec.label, "rows": rows})
    return {"path": path, "rows": rows, "spec": spec}


def export_file_name(spec: ExportSpec) -> str:
    return f"{spec.label}-{clock.now():%Y%m%d%H%M}.xlsx"


def template_file_name(spec: ExportSpec) -> str:
    """The download name of an import's template, e.g. ``用户-导入模板.xlsx``."""
    return f"{spec.label}-{_('template')}.xlsx"


def error_report_file_name(batch: ImportBatch) -> str:
    """The download name of a batch's error report: the uploaded file's name + ``-错误``."""
    return f"{os.path.splitext(batch.file_name)[0]}-{_('errors')}.xlsx"


def export_run_job(job: Any, params: dict, progress: Any) -> dict:
    """The background export: writes the file and attaches it to the job."""
    spec = get_export_spec(params["spec"], job.created_by)
    with translation.override(params.get("language") or settings.LANGUAGE_CODE):
        filterset = import_string(params["filterset"]) if params.get("filterset") else None
        qs = export_queryset(spec, job.created_by, QueryDict(params.get("query", "")), filterset=filterset,
                             ordering=params.get("ordering"))
        total, _capped = capped_count(qs, 10**9)
        progress(0, total, _("Exporting"))
        fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="kam-export-")
        os.close(fd)
        try:
            rows = engine.run_export(spec, qs, path, total=total, progress=lambda d, t: progress(d, t))
            with open(path, "rb") as fh:
                job.attach_file(export_file_name(spec), File(fh))
        finally:
            os.unlink(path)
    return {"rows": rows}


def import_run_job(job: Any, params: dict, progress: Any) -> dict:
    batch = ImportBatch.objects.select_related("user").get(pk=params["batch"])
    import_run(batch=batch, progress=lambda d, t: progress(d, t))
    return {"batch": batch.pk, "status": batch.status, "errors": batch.error_count}


# ---- saved views (场景) ----

@transaction.atomic
def saved_view_create(*, user: Any, list_key: str, name: str, query: str | Any = "",
                      shared: bool = False) -> SavedView:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if SavedView.objects.filter(user=user, list_key=list_key, name=name).exists():
        raise ValidationError({"name": _("You already have a view named “%(name)s” here.") % {"name": name}})
    view = SavedView(user=user, list_key=list_key, name=name, query=clean_query(query), shared=shared)
    view.full_clean()
    view.save()
    return view


@transaction.atomic
def saved_view_delete(*, user: Any, view: SavedView) -> None:
    if view.user_id != user.pk and not user.is_superuser:
        raise PermissionDenied(_("Only the owner can delete a saved view."))
    view.delete()
