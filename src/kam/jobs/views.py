"""Pages: 定时任务 (scheduled jobs, their execution log) and 我的后台任务 (a user's jobs)."""

from __future__ import annotations

import os
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kam.core.views import ObjectListView

from . import services
from .models import FINISHED_STATUSES, Job, ScheduledJob, ScheduleRun
from .scheduler import Schedule, display_name


class ScheduledJobListView(ObjectListView):
    """定时任务: status, schedule, next/last run; pause, resume, run now."""

    model = ScheduledJob
    module = "scheduler"
    title = gettext_lazy("Scheduled jobs")
    template_name = "jobs/scheduled_list.html"
    per_page = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = []
        for sj in context["page"].rows:
            try:
                schedule = Schedule.parse(sj.schedule).describe()
            except ValueError:
                schedule = sj.schedule
            rows.append({"job": sj, "name": display_name(sj), "schedule": schedule})
        context["rows"] = rows
        return context


class ScheduleRunListView(ObjectListView):
    """执行日志 of one scheduled job."""

    model = ScheduleRun
    module = "scheduler"
    template_name = "jobs/run_list.html"
    per_page = 50

    def get_queryset(self):
        self.scheduled_job = get_object_or_404(
            ScheduledJob.objects.restrict(self.request.user, "view"), pk=self.kwargs["pk"])
        return super().get_queryset().filter(scheduled_job=self.scheduled_job).select_related("triggered_by")

    def get_title(self) -> str:
        return _("Execution log: %(name)s") % {"name": display_name(self.scheduled_job)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["scheduled_job"] = self.scheduled_job
        return context


@login_required
@require_POST
def scheduled_job_action(request: HttpRequest, pk: int, op: str) -> HttpResponse:
    actions = {
        "pause": (services.scheduled_job_pause, _("Paused: %(name)s")),
        "resume": (services.scheduled_job_resume, _("Resumed: %(name)s")),
        "run": (services.scheduled_job_run_now, _("Queued to run now: %(name)s")),
    }
    if op not in actions:
        raise Http404
    sj = get_object_or_404(ScheduledJob.objects.restrict(request.user, "change"), pk=pk)
    fn, done = actions[op]
    try:
        fn(user=request.user, scheduled_job=sj)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, done % {"name": display_name(sj)})
    return redirect("jobs:scheduled_list")


class MyJobListView(ObjectListView):
    """我的后台任务: the user's own jobs, progress refreshed by htmx while any is unfinished."""

    model = Job
    module = "jobs"
    title = gettext_lazy("My background jobs")
    template_name = "jobs/my_jobs.html"

    def get_queryset(self):
        return super().get_queryset().filter(created_by=self.request.user)

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request") and self.request.GET.get("partial"):
            return ["jobs/_job_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = [job.refresh_live_progress() for job in context["page"].rows]
        context["jobs"] = rows
        context["polling"] = any(job.status not in FINISHED_STATUSES for job in rows)
        return context


@login_required
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's result file: for its owner or an administrator only."""
    try:
        job = services.job_get_for_user(request.user, pk)
    except Job.DoesNotExist:
        job = None
    if job is None or not job.result_file:
        raise Http404(_("No such record, or it lies outside your data scope."))
    if not services.job_can_download(request.user, job):
        raise PermissionDenied(_("Only the owner of the job or an administrator may download its file."))
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=os.path.basename(job.result_file.name))


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.restrict(request.user, "view"), pk=pk)
    try:
        services.job_cancel(user=request.user, job=job)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Cancelled: %(name)s") % {"name": job.label})
    return redirect("jobs:my_jobs")
