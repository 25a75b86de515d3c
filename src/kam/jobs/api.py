"""REST API under ``/api/v1/system/``: ``jobs/`` (a user's background jobs: list, detail with
progress, download, cancel) and ``scheduled-jobs/`` (定时任务: list, pause, resume, run-now, runs).
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from kam.api.viewsets import ScopedReadOnlyViewSet, service_errors

from . import services
from .models import Job, ScheduledJob, ScheduleRun
from .scheduler import Schedule, display_name


class JobSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "label", "created_by", "status", "status_display", "done", "total", "percent",
                  "message", "result", "error", "attempts", "max_attempts", "download_url", "created_at",
                  "started_at", "finished_at"]

    def to_representation(self, job: Job):
        return super().to_representation(job.refresh_live_progress())

    def get_download_url(self, job: Job) -> str | None:
        request = self.context.get("request")
        if request is None or not services.job_can_download(request.user, job):
            return None
        return request.build_absolute_uri(f"/api/v1/system/jobs/{job.pk}/download/")


class JobViewSet(ScopedReadOnlyViewSet):
    """我的后台任务: the jobs the user may see (their own; administrators all)."""

    queryset = Job.objects.select_related("created_by")
    serializer_class = JobSerializer
    module = "jobs"
    filterset_fields = ["status", "kind"]
    ordering_fields = ["created_at", "finished_at"]
    action_permissions = {"cancel": "view", "download": "view"}

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        with service_errors():
            job = services.job_cancel(user=request.user, job=self.get_object())
        return Response(self.get_serializer(job).data)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        if not job.result_file:
            raise Http404
        if not services.job_can_download(request.user, job):
            raise PermissionDenied
        return FileResponse(job.result_file.open("rb"), as_attachment=True,
                            filename=job.result_file.name.rsplit("/", 1)[-1])


class ScheduledJobSerializer(serializers.ModelSerializer):
    display_name = serializers.SerializerMethodField()
    schedule_display = serializers.SerializerMethodField()

    class Meta:
        model = ScheduledJob
        fields = ["id", "code", "name", "display_name", "func_path", "schedule", "schedule_display", "enabled",
                  "registered", "next_run_at", "last_run_at", "last_status"]

    def get_display_name(self, sj: ScheduledJob) -> str:
        return display_name(sj)

    def get_schedule_display(self, sj: ScheduledJob) -> str:
        try:
            return Schedule.parse(sj.schedule).describe()
        except ValueError:
            return sj.schedule


class ScheduleRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScheduleRun
        fields = ["id", "scheduled_job", "trigger", "triggered_by", "status", "due_at", "created_at", "started_at",
                  "finished_at", "duration_ms", "output", "error", "worker"]


class ScheduledJobViewSet(ScopedReadOnlyViewSet):
    """定时任务 (module ``scheduler``)."""

    queryset = ScheduledJob.objects.all()
    serializer_class = ScheduledJobSerializer
    module = "scheduler"
    filterset_fields = ["enabled", "last_status"]
    action_permissions = {"pause": "change", "resume": "change", "run_now": "change", "runs": "view"}

    def _act(self, fn):
        with service_errors():
            result = fn(user=self.request.user, scheduled_job=self.get_object())
        return result

    @extend_schema(request=None, responses=ScheduledJobSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return Response(self.get_serializer(self._act(services.scheduled_job_pause)).data)

    @extend_schema(request=None, responses=ScheduledJobSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return Response(self.get_serializer(self._act(services.scheduled_job_resume)).data)

    @extend_schema(request=None, responses=ScheduleRunSerializer)
    @action(detail=True, methods=["post"], url_path="run-now")
    def run_now(self, request, pk=None):
        run = self._act(services.scheduled_job_run_now)
        return Response(ScheduleRunSerializer(run).data, status=202)

    @extend_schema(responses=ScheduleRunSerializer(many=True))
    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        sj = self.get_object()
        qs = ScheduleRun.objects.restrict(request.user, "view").filter(scheduled_job=sj)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ScheduleRunSerializer(page, many=True).data)


def router_register(router) -> None:
    router.register("system/jobs", JobViewSet, basename="system-job")
    router.register("system/scheduled-jobs", ScheduledJobViewSet, basename="system-scheduled-job")
