"""REST API of the exchange app, under ``/api/v1/exchange/``.

- ``POST imports/`` (multipart: ``spec``, ``mode`` = ``create`` | ``update``, ``file``) → the import
  batch (201); small files are imported at once, large ones run as a background job (``job``).
- ``GET imports/`` the user's import batches; ``GET imports/{id}/`` status, counts and errors;
  ``GET imports/{id}/error-report/`` the error report (.xlsx).
- ``GET templates/{spec}/`` the import template (.xlsx).
- ``POST exports/`` ``{"spec": …, "filters": {…}}`` → the .xlsx (200), or ``{"job": id}`` (202)
  for a large export whose file is then fetched from the job.
- ``GET views/?list=…``, ``POST views/`` ``{list, name, query, shared}``, ``DELETE views/{id}/`` —
  saved views (场景).
"""

from __future__ import annotations

import io
import os

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .filtersets import ImportBatchFilterSet
from .models import ImportBatch, SavedView
from .scenes import saved_views_for
from .specs import MODES
from .views import XLSX
from .xlsx import write_template


def _drf(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


class ImportBatchSerializer(serializers.ModelSerializer):
    spec_label = serializers.CharField(read_only=True)
    user = serializers.CharField(source="user.username", read_only=True, allow_null=True)
    error_report_url = serializers.SerializerMethodField()
    job = serializers.IntegerField(source="job_id", read_only=True)
    progress = serializers.SerializerMethodField(help_text="percent done (a large import runs as a job)")

    class Meta:
        model = ImportBatch
        fields = ["id", "spec", "spec_label", "file_name", "mode", "status", "rows", "created_count",
                  "updated_count", "unchanged_count", "error_count", "message", "errors", "error_report_url",
                  "job", "progress", "user", "created_at", "finished_at"]

    def get_progress(self, obj: ImportBatch) -> int:
        if obj.is_finished:
            return 100
        if obj.job_id and services.jobs_available():
            from kam.jobs.models import Job

            job = Job.objects.filter(pk=obj.job_id).first()
            return job.refresh_live_progress().percent if job is not None else 0
        return 0

    def get_error_report_url(self, obj: ImportBatch) -> str | None:
        if not obj.error_report:
            return None
        return reverse("api:exchange-import-report", args=[obj.pk])


class ImportCreateSerializer(serializers.Serializer):
    spec = serializers.CharField()
    mode = serializers.ChoiceField(choices=MODES, default="create")
    file = serializers.FileField()


XLSX_RESPONSE = OpenApiResponse(OpenApiTypes.BINARY, description="Excel workbook (.xlsx)")


class ExportJobSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    status = serializers.CharField()
    url = serializers.CharField(help_text="the job: status, progress and the download link of the file")


class ImportListView(APIView):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = ImportBatchSerializer

    @extend_schema(operation_id="exchange_imports_list", responses=ImportBatchSerializer(many=True),
                   parameters=[OpenApiParameter("spec", str, description="only batches of this import")])
    def get(self, request):
        qs = ImportBatchFilterSet(request.query_params,
                                  queryset=ImportBatch.objects.restrict(request.user, "view").select_related("user")).qs
        return Response(ImportBatchSerializer(qs[:100], many=True).data)

    @extend_schema(request={"multipart/form-data": ImportCreateSerializer}, responses={201: ImportBatchSerializer})
    def post(self, request):
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            batch = services.import_start(user=request.user, spec_code=data.validated_data["spec"],
                                          file=data.validated_data["file"], mode=data.validated_data["mode"],
                                          request=request)
        except DjangoValidationError as exc:
            raise _drf(exc) from None
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class ImportDetailView(APIView):
    serializer_class = ImportBatchSerializer

    def get(self, request, pk: int):
        batch = get_object_or_404(ImportBatch.objects.restrict(request.user, "view").select_related("user"), pk=pk)
        return Response(ImportBatchSerializer(batch).data)


class ImportReportView(APIView):
    @extend_schema(responses={200: XLSX_RESPONSE})
    def get(self, request, pk: int):
        batch = get_object_or_404(ImportBatch.objects.restrict(request.user, "view"), pk=pk)
        if not batch.error_report:
            raise Http404
        return FileResponse(batch.error_report.open("rb"), as_attachment=True,
                            filename=services.error_report_file_name(batch), content_type=XLSX)


class TemplateView(APIView):
    @extend_schema(responses={200: XLSX_RESPONSE})
    def get(self, request, spec: str):
        try:
            import_spec = services.get_import_spec(spec, request.user)
        except DjangoValidationError:
            raise Http404 from None
        buffer = io.BytesIO()
        write_template(import_spec, buffer)
        buffer.seek(0)
        return FileResponse(buffer, as_attachment=True, filename=services.template_file_name(import_spec),
                            content_type=XLSX)


class ExportCreateSerializer(serializers.Serializer):
    spec = serializers.CharField()
    filters = serializers.DictField(required=False, default=dict)


class ExportView(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=ExportCreateSerializer, responses={200: XLSX_RESPONSE, 202: ExportJobSerializer})
    def post(self, request):
        data = ExportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.export_start(user=request.user, spec_code=data.validated_data["spec"],
                                           params=data.validated_data["filters"], request=request)
        except DjangoValidationError as exc:
            raise _drf(exc) from None
        if "job" in result:
            job = result["job"]
            return Response({"job": job.pk, "status": job.status, "url": f"/api/v1/system/jobs/{job.pk}/"},
                            status=status.HTTP_202_ACCEPTED)
        handle = open(result["path"], "rb")  # noqa: SIM115 - closed by the response
        os.unlink(result["path"])
        return FileResponse(handle, as_attachment=True, filename=services.export_file_name(result["spec"]),
                            content_type=XLSX)


class SavedViewSerializer(serializers.ModelSerializer):
    list = serializers.CharField(source="list_key")
    owner = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = SavedView
        fields = ["id", "list", "name", "query", "shared", "owner", "created_at"]
        read_only_fields = ["created_at"]


class SavedViewListView(APIView):
    serializer_class = SavedViewSerializer

    @extend_schema(responses=SavedViewSerializer(many=True),
                   parameters=[OpenApiParameter("list", str, description="the list key, e.g. org.user")])
    def get(self, request):
        list_key = request.query_params.get("list", "")
        return Response(SavedViewSerializer(saved_views_for(request.user, list_key), many=True).data)

    def post(self, request):
        data = SavedViewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            view = services.saved_view_create(user=request.user, list_key=data.validated_data["list_key"],
                                              name=data.validated_data["name"],
                                              query=data.validated_data.get("query", ""),
                                              shared=data.validated_data.get("shared", False))
        except DjangoValidationError as exc:
            raise _drf(exc) from None
        return Response(SavedViewSerializer(view).data, status=status.HTTP_201_CREATED)


class SavedViewDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        view = get_object_or_404(SavedView, pk=pk, user=request.user)
        services.saved_view_delete(user=request.user, view=view)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("exchange/imports/", ImportListView.as_view(), name="exchange-imports"),
    path("exchange/imports/<int:pk>/", ImportDetailView.as_view(), name="exchange-import"),
    path("exchange/imports/<int:pk>/error-report/", ImportReportView.as_view(), name="exchange-import-report"),
    path("exchange/templates/<str:spec>/", TemplateView.as_view(), name="exchange-template"),
    path("exchange/exports/", ExportView.as_view(), name="exchange-exports"),
    path("exchange/views/", SavedViewListView.as_view(), name="exchange-views"),
    path("exchange/views/<int:pk>/", SavedViewDetailView.as_view(), name="exchange-view"),
]
