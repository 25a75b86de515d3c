"""API of assessment targets under ``/api/v1/assessment/`` (decision 0025):

- ``targets/`` — CRUD with filters and the ids of each target's parts (``children``);
- ``targets/{id}/decompose/`` — POST: time or org decomposition, equal / shares / amounts,
  ``"preview": true`` answers the parts without saving;
- ``targets/publish/`` — POST ``{"period", "metric"}``: month targets → metric values of the tier
  metrics;
- ``target-attainment/`` — GET: 目标达成 of a period (last month by default);
- ``target-settings/`` — 目标发布设置: CRUD of the metrics receiving a measured metric's published
  targets per tier (the 考核配置 grant, like the page); deleting is refused while values published
  through the setting exist for a computed month.

Querysets start from ``.restrict(request.user, action)``; writes go through
:mod:`kam.assessment.targets`. Numbers are decimal strings.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from kam.api.fields import ScopedPrimaryKeyRelatedField
from kam.api.viewsets import ScopedModelViewSet, ScopedViewSetMixin, service_errors

from . import targets
from .api import NumberText
from .models import (
    MODULE_CONFIG,
    MODULE_TARGETS,
    Metric,
    Target,
    TargetDirection,
    TargetSplit,
    TargetSplitMethod,
    TargetTierMetrics,
    TierReached,
)
from .targets_filtersets import TargetAttainmentFilterSet, TargetFilterSet


class TargetSerializer(serializers.ModelSerializer):
    metric = ScopedPrimaryKeyRelatedField(queryset=Metric.objects.all())
    metric_code = serializers.CharField(source="metric.code", read_only=True)
    subject = serializers.IntegerField(source="subject_id", help_text=_("Org unit id or user id (account manager)."))
    subject_name = serializers.CharField(read_only=True)
    period = serializers.CharField(max_length=8, help_text=_("A year (2026), a quarter (2026-Q1) or a month "
                                                             "(2026-03)."))
    direction = serializers.ChoiceField(choices=TargetDirection.choices, required=False, help_text=_(
        "higher (default): target ≤ sprint ≤ challenge, reached at or above; lower (complaints, churn): target ≥ "
        "sprint ≥ challenge, reached at or below. Fixed once created."))
    target_value = NumberText(help_text=_("The target tier; at most 2 decimals."))
    sprint_value = NumberText(required=False, allow_null=True, allow_blank=True,
                            help_text=_("The sprint tier (optional)."))
    challenge_value = NumberText(required=False, allow_null=True, allow_blank=True, help_text=_(
        "The challenge tier (optional; needs the sprint value)."))
    children = serializers.SerializerMethodField(help_text=_("Ids of the parts decomposed from this target."))

    class Meta:
        model = Target
        fields = ["id", "metric", "metric_code", "subject_type", "subject", "subject_name", "org_unit", "period",
                  "period_kind", "direction", "target_value", "sprint_value", "challenge_value", "parent", "children",
                  "split", "split_method", "created_at", "updated_at"]
        read_only_fields = ["org_unit", "period_kind", "parent", "split", "split_method", "created_at", "updated_at"]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_children(self, obj: Target) -> list[int]:
        children = getattr(obj, "visible_children", None)
        if children is None:
            return []
        return [c.pk for c in children]


class TargetViewSet(ScopedModelViewSet):
    """考核目标: a metric's target per subject (org unit or account manager) and period, in three
    tiers; metric, subject and period are fixed once created. Deleting a decomposed target is
    refused."""

    queryset = Target.objects.select_related("metric", "org_unit", "user")
    serializer_class = TargetSerializer
    filterset_class = TargetFilterSet
    ordering_fields = ["period", "subject_id", "target_value"]
    module = MODULE_TARGETS

    def get_queryset(self):
        qs = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return qs
        return qs.prefetch_related(Prefetch(
            "children", queryset=Target.objects.restrict(self.request.user, "view").only("id", "parent_id")
            .order_by("period", "subject_id"), to_attr="visible_children"))

    def create_object(self, data: dict[str, Any]) -> Target:
        return targets.target_create(user=self.request.user, metric=data["metric"],
                                     subject_type=data["subject_type"], subject_id=data["subject_id"],
                                     period=data["period"], target_value=data["target_value"],
                                     sprint_value=data.get("sprint_value"),
                                     challenge_value=data.get("challenge_value"),
                                     direction=data.get("direction") or TargetDirection.HIGHER)

    def update_object(self, instance: Target, data: dict[str, Any]) -> Target:
        fixed = {"metric": instance.metric, "subject_type": instance.subject_type,
                 "subject_id": instance.subject_id, "period": instance.period, "direction": instance.direction}
        for field, current in fixed.items():
            if field in data and data[field] != current:
                name = "subject" if field == "subject_id" else field
                raise DjangoValidationError({name: _("Metric, subject, period and direction are fixed once the "
                                                     "target is created.")})
        tiers = {f: data.get(f, getattr(instance, f)) for f in targets.TIER_FIELDS}
        return targets.target_update(user=self.request.user, target=instance, **tiers)

    def delete_object(self, instance: Target) -> None:
        targets.target_delete(user=self.request.user, target=instance)

    @extend_schema(
        request=inline_serializer("TargetDecomposeIn", {
            "split": serializers.ChoiceField(choices=[c for c in TargetSplit.choices if c[0]]),
            "method": serializers.ChoiceField(choices=[c for c in TargetSplitMethod.choices if c[0]],
                                              default=TargetSplitMethod.EQUAL),
            "values": serializers.DictField(child=serializers.CharField(), required=False, help_text=_(
                "Shares (%) or amounts by part: the period (2026-Q1, 2026-03) or the subject id.")),
            "preview": serializers.BooleanField(default=False, help_text=_("Answer the parts without saving.")),
        }),
        responses=inline_serializer("TargetDecomposeOut", {
            "target": serializers.IntegerField(), "split": serializers.CharField(),
            "method": serializers.CharField(), "saved": serializers.BooleanField(),
            "parts": serializers.ListField(child=inline_serializer("TargetPartOut", {
                "id": serializers.IntegerField(allow_null=True), "key": serializers.CharField(),
                "label": serializers.CharField(), "subject_type": serializers.CharField(),
                "subject": serializers.IntegerField(), "period": serializers.CharField(),
                "target_value": serializers.CharField(), "sprint_value": serializers.CharField(allow_null=True),
                "challenge_value": serializers.CharField(allow_null=True),
            })),
        }),
    )
    @action(detail=True, methods=["post"])
    def decompose(self, request, pk=None):
        """目标分解: a year into quarters or months, a quarter into months, a unit's target to its child
        units or its account managers; equally, by shares (%) adding up to 100, or by amounts adding up
        to the target value. The parts add up exactly; saving replaces an earlier decomposition."""
        target = self.get_object()
        data = request.data if isinstance(request.data, dict) else {}
        split = str(data.get("split") or "")
        method = str(data.get("method") or TargetSplitMethod.EQUAL)
        values = data.get("values") or {}
        if not isinstance(values, dict):
            values = {}
        with service_errors():
            parts = targets.decompose_preview(target, split, method, values)
            ids: list[int | None] = [None] * len(parts)
            if not data.get("preview"):
                ids = [c.pk for c in targets.target_decompose(user=request.user, target=target, split=split,
                                                              method=method, values=values)]
        rows = [{"id": pk, **p.as_dict()} for pk, p in zip(ids, parts, strict=True)]
        return Response({"target": target.pk, "split": split, "method": method, "saved": not data.get("preview"),
                         "parts": rows})

    @extend_schema(
        request=inline_serializer("TargetPublishIn", {
            "period": serializers.CharField(help_text=_("A month, or a quarter or year for each of its months.")),
            "metric": serializers.CharField(help_text=_("Metric code.")),
        }),
        responses=inline_serializer("TargetPublishOut", {
            "period": serializers.CharField(), "metric": serializers.CharField(),
            "months": serializers.ListField(child=serializers.CharField()),
            "written": serializers.IntegerField(), "removed": serializers.IntegerField(),
            "skipped": serializers.IntegerField(help_text=_("Targets of units that are not assessed.")),
            "computed": serializers.ListField(child=serializers.CharField(), help_text=_(
                "Months already computed: their results change when they are computed again.")),
        }),
    )
    @action(detail=False, methods=["post"])
    def publish(self, request):
        """发布目标: the month targets of a metric become metric values of its tier metrics, so
        completion-rate atomic indicators score against them. Idempotent."""
        data = request.data if isinstance(request.data, dict) else {}
        code = str(data.get("metric") or "")
        with service_errors():
            metric = Metric.objects.restrict(request.user, "view").filter(code=code).first()
            if metric is None:
                raise DjangoValidationError({"metric": _("Unknown metric “%(code)s”.") % {"code": code}})
            report = targets.targets_publish(user=request.user, period=data.get("period"), metric=metric)
        return Response(report)


class AttainmentSerializer(serializers.ModelSerializer):
    metric_code = serializers.CharField(source="metric.code", read_only=True)
    metric_name = serializers.CharField(source="metric.name", read_only=True)
    subject = serializers.IntegerField(source="subject_id", read_only=True)
    subject_name = serializers.CharField(read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    actual = serializers.DecimalField(max_digits=24, decimal_places=4, read_only=True, allow_null=True, help_text=_(
        "The metric's value summed over the period's months (a unit: its own value, else its managers')."))
    target_pct = serializers.SerializerMethodField()
    sprint_pct = serializers.SerializerMethodField()
    challenge_pct = serializers.SerializerMethodField()
    tier_reached = serializers.ChoiceField(choices=TierReached.choices, read_only=True)
    tier_label = serializers.SerializerMethodField()

    class Meta:
        model = Target
        fields = ["id", "metric", "metric_code", "metric_name", "subject_type", "subject", "subject_name", "org_unit",
                  "org_unit_name", "period", "direction", "actual", "target_value", "target_pct", "sprint_value",
                  "sprint_pct", "challenge_value", "challenge_pct", "tier_reached", "tier_label"]

    @extend_schema_field(serializers.CharField(allow_null=True, help_text=_(
        "actual ÷ target value × 100 (lower is better: target value ÷ actual × 100); null without a value, and "
        "when lower is better with an actual of 0 below the tier (every tier reached, no ratio)")))
    def get_target_pct(self, obj: Target) -> str | None:
        return self._pct(obj, obj.target_value)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_sprint_pct(self, obj: Target) -> str | None:
        return self._pct(obj, obj.sprint_value)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_challenge_pct(self, obj: Target) -> str | None:
        return self._pct(obj, obj.challenge_value)

    @staticmethod
    def _pct(obj: Target, tier) -> str | None:
        pct = targets.attainment_pct(obj.actual, tier, obj.direction)
        return None if pct is None else str(pct)

    @extend_schema_field(serializers.CharField())
    def get_tier_label(self, obj: Target) -> str:
        return targets.tier_label(obj.tier_reached)


class TargetAttainmentViewSet(ScopedViewSetMixin, mixins.ListModelMixin, GenericViewSet):
    """目标达成: per target of ``period`` (a month, quarter or year; last month by default) the actual,
    each tier with its attainment % and the tier reached (未达标 / 达成目标 / 达成冲刺 / 达成挑战)."""

    queryset = Target.objects.select_related("metric", "org_unit", "user")
    serializer_class = AttainmentSerializer
    filterset_class = TargetAttainmentFilterSet
    ordering_fields = ["period", "subject_id", "actual", "target_value"]
    ordering = ["metric_id", "subject_type", "subject_id"]
    module = MODULE_TARGETS


class TierMetricsSerializer(serializers.ModelSerializer):
    metric = ScopedPrimaryKeyRelatedField(queryset=Metric.objects.all(), help_text=_(
        "The measured metric; fixed once the setting is created."))
    metric_code = serializers.CharField(source="metric.code", read_only=True)
    target_metric = ScopedPrimaryKeyRelatedField(queryset=Metric.objects.all(), required=False, allow_null=True,
                                                 help_text=_("The metric receiving the target value."))
    sprint_metric = ScopedPrimaryKeyRelatedField(queryset=Metric.objects.all(), required=False, allow_null=True,
                                                 help_text=_("The metric receiving the sprint value (optional)."))
    challenge_metric = ScopedPrimaryKeyRelatedField(queryset=Metric.objects.all(), required=False, allow_null=True,
                                                    help_text=_("The metric receiving the challenge value "
                                                                "(optional)."))
    create_missing = serializers.BooleanField(write_only=True, required=False, default=False, help_text=_(
        "Create a metric for each tier left empty (<code>_target, <code>_sprint, <code>_challenge)."))

    class Meta:
        model = TargetTierMetrics
        fields = ["id", "metric", "metric_code", "target_metric", "sprint_metric", "challenge_metric",
                  "create_missing", "updated_at"]
        read_only_fields = ["updated_at"]


class TierMetricsViewSet(ScopedModelViewSet):
    """目标发布设置: per measured metric, the metrics that receive its published 目标, 冲刺 and 挑战
    values (发布目标). Deleting is refused while values published through the setting exist for a
    month that has been computed; the values of months not computed yet are removed with it."""

    queryset = TargetTierMetrics.objects.select_related("metric", "target_metric", "sprint_metric",
                                                        "challenge_metric")
    serializer_class = TierMetricsSerializer
    ordering_fields = ["metric__code", "updated_at"]
    ordering = ["metric__code"]
    module = MODULE_CONFIG

    def _save(self, metric: Metric, data: dict[str, Any], current: TargetTierMetrics | None = None):
        tiers = {f: data.get(f, getattr(current, f) if current else None)
                 for f in ("target_metric", "sprint_metric", "challenge_metric")}
        return targets.tier_metrics_set(user=self.request.user, metric=metric,
                                        create_missing=bool(data.get("create_missing")), **tiers)

    def create_object(self, data: dict[str, Any]) -> TargetTierMetrics:
        metric = data["metric"]
        if TargetTierMetrics.objects.filter(metric=metric).exists():
            raise DjangoValidationError({"metric": _("“%(metric)s” already has a target publishing setting: "
                                                     "change that one.") % {"metric": metric.name}})
        return self._save(metric, data)

    def update_object(self, instance: TargetTierMetrics, data: dict[str, Any]) -> TargetTierMetrics:
        if "metric" in data and data["metric"] != instance.metric:
            raise DjangoValidationError({"metric": _("The measured metric is fixed once the setting is created.")})
        return self._save(instance.metric, data, instance)

    def delete_object(self, instance: TargetTierMetrics) -> None:
        targets.tier_metrics_delete(user=self.request.user, setting=instance)


def targets_router_register(router) -> None:
    router.register("assessment/targets", TargetViewSet, basename="assessment-target")
    router.register("assessment/target-settings", TierMetricsViewSet, basename="assessment-target-settings")
    router.register("assessment/target-attainment", TargetAttainmentViewSet, basename="assessment-target-attainment")
