"""API of result confirmation and appeals under ``/api/v1/assessment/`` (decision 0026).

- ``publications/`` (GET list/detail; POST ``{"period": "YYYY-MM"}`` publishes the month),
  ``publications/{id}/withdraw/`` (POST ``{"reason": …}``) — module ``assessment_run``;
- ``confirmations/`` (GET) — the confirmation states within the user's scope;
- ``results/{id}/confirm/`` and ``results/{id}/appeal/`` (POST) — the assessed manager;
- ``appeals/`` (GET list/detail), ``appeals/{id}/withdraw/`` (POST) — the appellant.

Appeal decisions are process tasks: ``/api/v1/processes/tasks/{id}/complete/`` with the step data
``adjust_delta`` and ``decision_reason`` (同意) or an opinion (驳回).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from kam.api.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin, service_errors

from . import appeals
from .api import NumberText
from .filtersets import AppealFilterSet, ConfirmationFilterSet, PublicationFilterSet
from .models import MODULE_RESULTS, MODULE_RUN, Appeal, Publication, Result, ResultConfirmation


class PublicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Publication
        fields = ["id", "period", "published_by", "published_at", "deadline", "result_count", "closed_at",
                  "auto_confirmed", "withdrawn_at", "withdrawn_by", "withdraw_reason"]
        read_only_fields = [f for f in fields if f != "period"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class PublicationViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, GenericViewSet):
    """发布考核结果: POST ``{"period": "YYYY-MM"}`` publishes the month's results for confirmation."""

    queryset = Publication.objects.all()
    serializer_class = PublicationSerializer
    filterset_class = PublicationFilterSet
    ordering_fields = ["published_at", "period"]
    module = MODULE_RUN

    def create_object(self, data: dict[str, Any]) -> Publication:
        return appeals.publication_create(user=self.request.user, period=data["period"])

    @extend_schema(request=ReasonSerializer, responses=PublicationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """撤销发布 (no appeal under review; the confirmations stay as the record)."""
        publication = self.get_object()
        ser = ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        with service_errors():
            publication = appeals.publication_withdraw(user=request.user, publication=publication,
                                                       reason=ser.validated_data["reason"])
        return Response(PublicationSerializer(publication).data)


class ConfirmationSerializer(serializers.ModelSerializer):
    subject = serializers.IntegerField(source="subject_id", read_only=True)
    published_total = NumberText(read_only=True)
    deadline = serializers.DateField(source="publication.deadline", read_only=True)

    class Meta:
        model = ResultConfirmation
        fields = ["id", "period", "subject_type", "subject", "subject_label", "org_unit", "published_total", "state",
                  "deadline", "confirmed_by", "confirmed_at", "auto_confirmed"]


class ConfirmationViewSet(ScopedReadOnlyViewSet):
    """结果确认: the confirmation state of published results (待确认 / 已确认 / 申诉中 / 申诉结束)."""

    queryset = ResultConfirmation.objects.filter(publication__withdrawn_at__isnull=True).select_related(
        "publication")
    serializer_class = ConfirmationSerializer
    filterset_class = ConfirmationFilterSet
    ordering_fields = ["period", "subject_label"]
    module = MODULE_RESULTS


class AppealSerializer(serializers.ModelSerializer):
    subject = serializers.IntegerField(source="subject_id", read_only=True)
    expected_score = NumberText(read_only=True)
    decision_delta = NumberText(read_only=True)
    result_state = serializers.CharField(source="confirmation.state", read_only=True)

    class Meta:
        model = Appeal
        fields = ["id", "period", "subject_type", "subject", "subject_label", "org_unit", "reason", "indicator_name",
                  "expected_score", "status", "result_state", "process", "decision_delta", "decision_reason",
                  "decided_by", "decided_at", "adjustment", "created_by", "created_at"]


class AppealInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)
    indicator_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                           help_text=_("The indicator or atomic indicator concerned (optional)."))
    expected_score = serializers.CharField(max_length=20, required=False, allow_blank=True, allow_null=True,
                                           default=None, help_text=_("The score the appellant considers right."))


class AppealViewSet(ScopedReadOnlyViewSet):
    """申诉管理: a manager sees their own appeals, a supervisor their subordinates'."""

    queryset = Appeal.objects.select_related("confirmation")
    serializer_class = AppealSerializer
    filterset_class = AppealFilterSet
    ordering_fields = ["created_at", "period"]
    module = MODULE_RESULTS
    action_permissions = {"withdraw": "view"}  # the service checks that the user is the appellant

    @extend_schema(request=ReasonSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """撤回: the appellant withdraws an appeal under review."""
        appeal = self.get_object()
        ser = ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        with service_errors():
            appeal = appeals.appeal_withdraw(user=request.user, appeal=appeal, reason=ser.validated_data["reason"])
        return Response(AppealSerializer(appeal).data)


class ResultConfirmationActions(ScopedViewSetMixin, GenericViewSet):
    """``results/{id}/confirm/`` and ``results/{id}/appeal/``: the assessed manager's answer."""

    queryset = Result.objects.all()
    module = MODULE_RESULTS
    action_permissions = {"confirm": "view", "appeal": "view"}  # the services check the person
    serializer_class = AppealInSerializer

    def _confirmation(self) -> ResultConfirmation:
        result = self.get_object()
        confirmation = appeals.confirmation_for_result(self.request.user, result)
        if confirmation is None:
            raise Http404(_("The result has not been published for confirmation."))
        return confirmation

    @extend_schema(request=None, responses=ConfirmationSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """确认: 待确认 → 已确认."""
        confirmation = self._confirmation()
        with service_errors():
            confirmation = appeals.confirmation_confirm(user=request.user, confirmation=confirmation)
        return Response(ConfirmationSerializer(confirmation).data)

    @extend_schema(request=AppealInSerializer, responses={201: AppealSerializer})
    @action(detail=True, methods=["post"])
    def appeal(self, request, pk=None):
        """申诉: starts the process 考核结果申诉; 待确认 → 申诉中."""
        confirmation = self._confirmation()
        ser = AppealInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        with service_errors():
            appeal = appeals.appeal_create(user=request.user, confirmation=confirmation, reason=data["reason"],
                                           indicator_name=data.get("indicator_name") or "",
                                           expected_score=data.get("expected_score"))
        return Response(AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)


def router_register(router) -> None:
    router.register("assessment/publications", PublicationViewSet, basename="assessment-publication")
    router.register("assessment/confirmations", ConfirmationViewSet, basename="assessment-confirmation")
    router.register("assessment/appeals", AppealViewSet, basename="assessment-appeal")
    # Only the two detail actions: list and detail of results stay with ResultViewSet.
    router.register("assessment/results", ResultConfirmationActions, basename="assessment-result-confirmation")
