"""Pages of the exchange app: import, import batches, template and error-report downloads,
list exports, background-job status, saved views."""

from __future__ import annotations

import os
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import select_template
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.http import require_POST

from kam.core.views import ObjectListView

from . import services
from .filtersets import ImportBatchFilterSet
from .models import ImportBatch, SavedView
from .scenes import scene_menu
from .specs import MODES, get_spec
from .tables import ImportBatchTable
from .xlsx import write_template

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def base_template():
    """The site's page frame (``core/base.html``), or a plain frame while it is missing."""
    return select_template(["core/base.html", "exchange/frame.html"])


def _render(request: HttpRequest, name: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, name, {"base_template": base_template(), **context}, status=status)


def _xlsx_response(content: Any, filename: str) -> FileResponse:
    return FileResponse(content, as_attachment=True, filename=filename, content_type=XLSX)


# ---- import ----

@login_required
def import_page(request: HttpRequest, spec: str) -> HttpResponse:
    try:
        import_spec = services.get_import_spec(spec, request.user)
    except ValidationError:
        raise Http404 from None
    errors: list[str] = []
    mode = request.POST.get("mode", "create")
    if request.method == "POST":
        try:
            batch = services.import_start(user=request.user, spec_code=spec, file=request.FILES.get("file"),
                                          mode=mode, request=request)
        except ValidationError as exc:
            errors = exc.messages
        else:
            return redirect("exchange:batch_detail", pk=batch.pk)
    recent = ImportBatch.objects.restrict(request.user, "view").filter(spec=spec, user=request.user)[:5]
    return _render(request, "exchange/import.html", {
        "spec": import_spec, "modes": MODES, "mode": mode, "errors": errors, "recent": recent,
        "columns": import_spec.import_columns(), "back": _safe_next(request),
    }, status=400 if errors else 200)


@login_required
def template_download(request: HttpRequest, spec: str) -> HttpResponse:
    try:
        import_spec = services.get_import_spec(spec, request.user)
    except ValidationError:
        raise Http404 from None
    import io

    buffer = io.BytesIO()
    write_template(import_spec, buffer)
    buffer.seek(0)
    return _xlsx_response(buffer, services.template_file_name(import_spec))


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    return get_object_or_404(ImportBatch.objects.restrict(request.user, "view").select_related("user"), pk=pk)


def _job_for(request: HttpRequest, job_id: int | None):
    if not job_id or not services.jobs_available():
        return None
    from kam.jobs.models import Job
    from kam.jobs.services import job_get_for_user

    try:
        return job_get_for_user(request.user, job_id)
    except Job.DoesNotExist:
        return None


class BatchListView(ObjectListView):
    """导入批次: the imports the user may see (their own; an administrator's scope for others)."""

    model = ImportBatch
    filterset_class = ImportBatchFilterSet
    table_class = ImportBatchTable
    select_related = ("user",)
    default_sort = "-created_at"
    title = _lazy("Import batches")


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    return _render(request, "exchange/batch_detail.html", {
        "batch": batch, "job": _job_for(request, batch.job_id),
        "notes": services.import_batch_take_notes(user=request.user, batch=batch),
    })


@login_required
def batch_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress part of the batch page, polled by htmx while the import runs."""
    batch = _batch(request, pk)
    job = _job_for(request, batch.job_id)
    if batch.is_finished or (job is not None and job.is_finished):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "exchange/_progress.html", {"job": job, "poll_url": request.path})


@login_required
def batch_error_report(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    if not batch.error_report:
        raise Http404
    return _xlsx_response(batch.error_report.open("rb"), services.error_report_file_name(batch))


# ---- export ----

def export_response(request: HttpRequest, spec_code: str, params: Any = None, queryset: Any = None,
                    filterset: Any = None) -> HttpResponse:
    """Export what a list shows for ``params`` (default: the request's query string) or the list's
    own ``queryset``: the file now, or a redirect to the background job's page for a large export."""
    try:
        result = services.export_start(user=request.user, spec_code=spec_code,
                                       params=request.GET if params is None else params, request=request,
                                       queryset=queryset, filterset=filterset)
    except ValidationError:
        raise Http404 from None
    if "job" in result:
        messages.info(request, _("The export runs in the background; download it here when it is ready."))
        return redirect("exchange:job_status", pk=result["job"].pk)
    handle = open(result["path"], "rb")  # noqa: SIM115 - closed by the response
    os.unlink(result["path"])  # the open handle keeps the data until the response is sent
    return _xlsx_response(handle, services.export_file_name(result["spec"]))


class ExportView(View):
    """``GET /exchange/export/<spec>/?<the list's filters>`` — the list's rows as .xlsx."""

    def get(self, request: HttpRequest, spec: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.get_full_path()}")
        return export_response(request, spec)


class ExportMixin:
    """For a list view that places its own export/import buttons.

    Every ``ObjectListView`` answers ``?export=xlsx`` and shows the buttons 导出 / 导入 through the
    hooks of :mod:`kam.exchange.hooks`. A view with this mixin names its spec (``export_spec =
    "<app>.<things>"``), keeps the ``?export=xlsx`` answer, gets ``export_url`` in its context and
    adds the buttons itself (the automatic 导出 / 导入 buttons are left out; 场景 stays).
    """

    export_spec: str = ""
    exchange_buttons = False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        if self.export_spec:
            query = self.request.GET.copy()  # type: ignore[attr-defined]
            query["export"] = "xlsx"
            query.pop("page", None)
            context["export_url"] = f"?{query.urlencode()}"
        return context


def _job(request: HttpRequest, pk: int):
    job = _job_for(request, pk)
    if job is None:
        raise Http404
    return job


@login_required
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    from kam.jobs.services import job_can_download

    job = _job(request, pk)
    if request.headers.get("HX-Request"):
        if job.is_finished:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "exchange/_progress.html", {"job": job, "poll_url": request.path})
    return _render(request, "exchange/job.html", {
        "job": job, "can_download": job_can_download(request.user, job),
    })


# ---- saved views ----

def _safe_next(request: HttpRequest, default: str = "") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _list_model(list_key: str):
    spec = get_spec(list_key)
    if spec is not None:
        return spec.model
    try:
        return apps.get_model(list_key)
    except (LookupError, ValueError):
        return None


@login_required
def scenes_page(request: HttpRequest, list_key: str) -> HttpResponse:
    """场景 of one list: the built-in scenes, the saved and shared views, and "save the current
    filter" (the list's query string comes in ``next``)."""
    target = _safe_next(request, "/")
    base, _sep, query = target.partition("?")
    errors: list[str] = []
    if request.method == "POST":
        query = request.POST.get("query", query)
        try:
            services.saved_view_create(user=request.user, list_key=list_key, name=request.POST.get("name", ""),
                                       query=query, shared=request.POST.get("shared") in ("1", "on", "true"))
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("The view was saved."))
            clean = services.clean_query(query)
            return HttpResponseRedirect(f"{base}?{clean}" if clean else base)
    context = scene_menu(request.user, list_key, _list_model(list_key), query)
    context.update({"list_path": base, "back": target, "errors": errors, "list_key": list_key})
    return _render(request, "exchange/scenes.html", context, status=400 if errors else 200)


@login_required
@require_POST
def saved_view_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=pk)
    try:
        services.saved_view_delete(user=request.user, view=view)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("The view was deleted."))
    return HttpResponseRedirect(_safe_next(request, "/").split("?")[0])
