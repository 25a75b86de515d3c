"""``GET /api/v1/system/audit/``: the audit trail.

With ``?content_type=<app>.<model>&object_id=<id>``: one record's history (操作历史), visible to
whoever may view the record. Without: the full list, for holders of the ``audit`` module (within
their data scope over the operators), filterable by ``action``, ``actor`` and ``content_type``.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied

from kam.api.permissions import Authenticated
from kam.org.permissions import has_perm

from .models import AuditEntry
from .selectors import model_for_label, of_content_type, record_history


class AuditEntrySerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField()
    action_display = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "actor_repr", "action", "action_display", "content_type", "object_id",
                  "object_repr", "changes", "source", "request_id", "ip"]

    def get_content_type(self, entry: AuditEntry) -> str:
        ct = entry.content_type
        return f"{ct.app_label}.{ct.model}"


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("content_type", OpenApiTypes.STR, description="app_label.model, e.g. org.orgunit"),
    OpenApiParameter("object_id", OpenApiTypes.STR),
    OpenApiParameter("action", OpenApiTypes.STR, enum=["create", "update", "delete"]),
    OpenApiParameter("actor", OpenApiTypes.INT),
]))
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = AuditEntry.objects.none()
    serializer_class = AuditEntrySerializer
    permission_classes = [Authenticated]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEntry.objects.none()
        params = self.request.query_params
        user = self.request.user
        label, object_id = params.get("content_type", ""), params.get("object_id", "")
        if label and object_id and self.action == "list":
            model = model_for_label(label)
            if model is None:
                raise NotFound
            qs = record_history(user, model, object_id)
            if qs is None:
                raise NotFound
        else:
            if not has_perm(user, "audit", "view"):
                raise PermissionDenied
            qs = AuditEntry.objects.restrict(user, "view").select_related("content_type")
            if label:
                qs = of_content_type(qs, label)
        if params.get("action"):
            qs = qs.filter(action=params["action"])
        if params.get("actor", "").isdigit():
            qs = qs.filter(actor_id=int(params["actor"]))
        return qs.order_by("-at", "-id")


def router_register(router) -> None:
    router.register("system/audit", AuditEntryViewSet, basename="system-audit")
