"""REST API of performance assessment under ``/api/v1/assessment/``.

Every queryset starts from ``.restrict(request.user, action)`` (``kam.api.viewsets``); writes go
through :mod:`kam.assessment.services`, so the calendar rules (R-ASM-3…6) hold for the API exactly
as for the pages. Numbers are decimal strings, months ``YYYY-MM``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from kam.api.fields import ScopedPrimaryKeyRelatedField
from kam.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet, ScopedViewSetMixin, service_errors

from . import services
from .filtersets import (
    AdjustmentFilterSet,
    AssignmentFilterSet,
    AtomicIndicatorFilterSet,
    BonusFilterSet,
    IndicatorFilterSet,
    MetricFilterSet,
    MetricValueFilterSet,
    NoteFilterSet,
    ResultFilterSet,
    RunFilterSet,
    ScoreDetailFilterSet,
    TemplateFilterSet,
)
from .models import (
    MODULE_CONFIG,
    MODULE_DATA,
    MODULE_RESULTS,
    MODULE_RUN,
    Adjustment,
    AssessmentNote,
    AssessmentRun,
    Assignment,
    AtomicIndicator,
    Bonus,
    Indicator,
    IndicatorComponent,
    Metric,
    MetricValue,
    Result,
    ScoreDetail,
    ScoreInterval,
    SubjectType,
    Template,
    TemplateComponent,
    VetoRule,
)


class NumberText(serializers.CharField):
    """A number given as text (checked by the services, which name the row and the rule);
    shown as a decimal string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            raise serializers.ValidationError(_("Enter a number."))
        return super().to_internal_value(str(data))

    def to_representation(self, value):
        return None if value is None else str(value)


# --- metrics ------------------------------------------------------------------------------------------------


class MetricSerializer(serializers.ModelSerializer):
    subject_types = serializers.ListField(
        child=serializers.ChoiceField(choices=SubjectType.choices), min_length=1,
        help_text=_("The kinds of subject the metric applies to."))

    class Meta:
        model = Metric
        fields = ["id", "code", "name", "unit", "is_percentage", "source", "subject_types", "description", "enabled"]


class MetricViewSet(ScopedModelViewSet):
    """数据源指标."""

    queryset = Metric.objects.all()
    serializer_class = MetricSerializer
    filterset_class = MetricFilterSet
    ordering_fields = ["code", "name"]
    module = MODULE_CONFIG

    def create_object(self, data: dict[str, Any]) -> Metric:
        return services.metric_create(user=self.request.user, **data)

    def update_object(self, instance: Metric, data: dict[str, Any]) -> Metric:
        return services.metric_update(user=self.request.user, metric=instance, **data)

    def delete_object(self, instance: Metric) -> None:
        services.metric_delete(user=self.request.user, metric=instance)


# --- metric values ---------------------------------------------------------------------------------------------


class MetricValueSerializer(serializers.ModelSerializer):
    metric = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subject = serializers.IntegerField(source="subject_id", read_only=True)
    value = serializers.DecimalField(max_digits=20, decimal_places=4, read_only=True)

    class Meta:
        model = MetricValue
        fields = ["id", "metric", "subject_type", "subject", "org_unit", "period", "value", "source", "updated_at"]


class MetricValueInSerializer(serializers.Serializer):
    metric = serializers.CharField(help_text=_("Metric code."))
    subject_type = serializers.ChoiceField(choices=SubjectType.choices, default=SubjectType.MANAGER)
    subject = serializers.IntegerField(help_text=_("User id (account manager) or org unit id."))
    period = serializers.CharField(help_text=_("Month, YYYY-MM."))
    value = NumberText()


class MetricValueViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Values of the metrics per subject and month. POST a list: all rows are saved or none."""

    queryset = MetricValue.objects.select_related("metric")
    serializer_class = MetricValueSerializer
    filterset_class = MetricValueFilterSet
    ordering_fields = ["period", "subject_id"]
    module = MODULE_DATA

    @extend_schema(
        request=MetricValueInSerializer(many=True),
        responses={
            200: inline_serializer("MetricValuesSaved", {"saved": serializers.IntegerField()}),
            400: inline_serializer("MetricValuesRefused", {
                "detail": serializers.CharField(),
                "errors": serializers.ListField(child=inline_serializer("MetricValueRowError", {
                    "index": serializers.IntegerField(),
                    "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
                })),
            }),
        },
    )
    def create(self, request, *args, **kwargs):
        rows = request.data if isinstance(request.data, list) else [request.data]
        ser = MetricValueInSerializer(data=rows, many=True)
        if not ser.is_valid():
            errors = [{"index": i, "errors": e} for i, e in enumerate(ser.errors) if e]
            return Response({"detail": str(_("Some rows have errors; nothing was saved.")), "errors": errors},
                            status=status.HTTP_400_BAD_REQUEST)
        items = [dict(r) for r in ser.validated_data]
        try:
            saved = services.metric_values_save(user=request.user, items=items, source="api")
        except services.BulkValidationError as exc:
            errors = [{"index": i, "errors": e} for i, e in enumerate(exc.item_errors) if e]
            return Response({"detail": exc.messages[0], "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"saved": saved})

    @extend_schema(
        request=inline_serializer("BuiltinRefreshIn", {
            "period": serializers.CharField(help_text=_("Month, YYYY-MM."))}),
        responses=inline_serializer("BuiltinRefreshOut", {
            "period": serializers.CharField(),
            "metrics": serializers.DictField(child=serializers.IntegerField(),
                                             help_text=_("Values stored per metric code.")),
        }),
    )
    @action(detail=False, methods=["post"], url_path="refresh-builtin")
    def refresh_builtin(self, request):
        """Recompute the metrics computed from platform data for a month and store their values."""
        period = str(request.data.get("period") or "")
        with service_errors():
            counts = services.builtin_values_refresh(user=request.user, period=period)
        return Response({"period": period, "metrics": counts})


# --- atomic indicators ---------------------------------------------------------------------------------------


class IntervalSerializer(serializers.ModelSerializer):
    lower = NumberText(allow_null=True, required=False, help_text=_("Null: −∞."))
    upper = NumberText(allow_null=True, required=False, help_text=_("Null: +∞."))
    score = NumberText()
    text = serializers.CharField(read_only=True)

    class Meta:
        model = ScoreInterval
        fields = ["position", "lower", "lower_closed", "upper", "upper_closed", "score", "text"]
        read_only_fields = ["position"]


class AtomicIndicatorSerializer(serializers.ModelSerializer):
    intervals = IntervalSerializer(many=True, required=False,
                                   help_text=_("Ascending or descending; covering every value. Not used for a "
                                               "completion rate with floor and cap or a deduction."))
    metric = ScopedPrimaryKeyRelatedField(queryset=Metric.objects.all())
    target_metric = ScopedPrimaryKeyRelatedField(queryset=Metric.objects.all(), allow_null=True, required=False)
    domain_lower = NumberText(allow_null=True, required=False)
    domain_upper = NumberText(allow_null=True, required=False)
    full_score = NumberText(required=False, help_text=_("Completion rate with floor and cap: the score at a "
                                                        "completion rate of 100% (0–100]."))
    score_floor = NumberText(required=False, help_text=_("Completion rate with floor and cap: the lowest score "
                                                         "(保底), 0–200."))
    score_cap = NumberText(required=False, help_text=_("Completion rate with floor and cap: the highest score "
                                                       "(封顶), floor–200."))
    deduction_per_unit = NumberText(required=False, help_text=_("Deduction: the points deducted per unit of the "
                                                                "value (0–100]; the floor is the lowest score."))
    descending = serializers.BooleanField(read_only=True, help_text=_("Intervals listed from the highest values "
                                                                      "down (derived from the intervals)."))

    class Meta:
        model = AtomicIndicator
        fields = ["id", "name", "metric", "mode", "target_metric", "missing_policy", "domain_lower",
                  "domain_lower_closed", "domain_upper", "domain_upper_closed", "full_score", "score_floor",
                  "score_cap", "deduction_per_unit", "descending", "intervals", "description", "enabled"]


def _atomic_data(data: dict[str, Any]) -> dict[str, Any]:
    if "intervals" in data:
        data["intervals"] = [dict(r) for r in data["intervals"]]
    for end in ("domain_lower", "domain_upper"):
        if data.get(end) in ("",):
            data[end] = None
        elif data.get(end) is not None:
            value = services.kernel.to_decimal(data[end])
            if value is None:
                from django.core.exceptions import ValidationError

                raise ValidationError({end: _("Enter a number.")})
            data[end] = value
    return data


class AtomicIndicatorViewSet(ScopedModelViewSet):
    """原子指标 with nested score intervals (R-ASM-1)."""

    queryset = AtomicIndicator.objects.select_related("metric").prefetch_related("intervals")
    serializer_class = AtomicIndicatorSerializer
    filterset_class = AtomicIndicatorFilterSet
    ordering_fields = ["name"]
    module = MODULE_CONFIG

    def create_object(self, data: dict[str, Any]) -> AtomicIndicator:
        return services.atomic_indicator_create(user=self.request.user, **_atomic_data(data))

    def update_object(self, instance: AtomicIndicator, data: dict[str, Any]) -> AtomicIndicator:
        return services.atomic_indicator_update(user=self.request.user, atomic=instance, **_atomic_data(data))

    def delete_object(self, instance: AtomicIndicator) -> None:
        services.atomic_indicator_delete(user=self.request.user, atomic=instance)


# --- indicators and templates --------------------------------------------------------------------------------


class IndicatorComponentSerializer(serializers.ModelSerializer):
    atomic = ScopedPrimaryKeyRelatedField(queryset=AtomicIndicator.objects.all())
    atomic_name = serializers.CharField(source="atomic.name", read_only=True)
    weight = NumberText()

    class Meta:
        model = IndicatorComponent
        fields = ["atomic", "atomic_name", "weight"]


class IndicatorSerializer(serializers.ModelSerializer):
    components = IndicatorComponentSerializer(many=True, help_text=_("Weights sum to exactly 1 (R-ASM-2)."))

    class Meta:
        model = Indicator
        fields = ["id", "name", "components", "description", "enabled"]


def _components(data: dict[str, Any]) -> dict[str, Any]:
    for rows in ("components", "vetoes"):
        if rows in data:
            data[rows] = [dict(c) for c in data[rows]]
    return data


class IndicatorViewSet(ScopedModelViewSet):
    """考核指标: weighted atomic indicators."""

    queryset = Indicator.objects.prefetch_related("components__atomic")
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet
    ordering_fields = ["name"]
    module = MODULE_CONFIG

    def create_object(self, data: dict[str, Any]) -> Indicator:
        return services.indicator_create(user=self.request.user, **_components(data))

    def update_object(self, instance: Indicator, data: dict[str, Any]) -> Indicator:
        return services.indicator_update(user=self.request.user, indicator=instance, **_components(data))

    def delete_object(self, instance: Indicator) -> None:
        services.indicator_delete(user=self.request.user, indicator=instance)


class TemplateComponentSerializer(serializers.ModelSerializer):
    indicator = ScopedPrimaryKeyRelatedField(queryset=Indicator.objects.all())
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    weight = NumberText()

    class Meta:
        model = TemplateComponent
        fields = ["indicator", "indicator_name", "weight"]


class VetoRuleSerializer(serializers.ModelSerializer):
    atomic = ScopedPrimaryKeyRelatedField(queryset=AtomicIndicator.objects.all())
    atomic_name = serializers.CharField(source="atomic.name", read_only=True)
    threshold = NumberText(help_text=_("Veto when the value is at least this."))
    total = NumberText(required=False, help_text=_("The total when vetoed (0 when left out)."))

    class Meta:
        model = VetoRule
        fields = ["atomic", "atomic_name", "threshold", "total"]


class TemplateSerializer(serializers.ModelSerializer):
    components = TemplateComponentSerializer(many=True, help_text=_("Weights sum to exactly 1 (R-ASM-2)."))
    vetoes = VetoRuleSerializer(many=True, required=False, help_text=_(
        "Veto items (一票否决), outside the weights: an atomic indicator's value at least the threshold sets "
        "the total."))
    warning = serializers.SerializerMethodField(help_text=_("R-ASM-3: the template's validity and the "
                                                            "computation day."))

    class Meta:
        model = Template
        fields = ["id", "name", "subject_type", "valid_from", "valid_to", "components", "vetoes", "warning",
                  "description", "enabled"]

    def get_warning(self, obj: Template) -> str:
        return services.template_validity_warning(obj)


class TemplateViewSet(ScopedModelViewSet):
    """考核模板: weighted assessment indicators, valid from / to."""

    queryset = Template.objects.prefetch_related("components__indicator", "vetoes__atomic")
    serializer_class = TemplateSerializer
    filterset_class = TemplateFilterSet
    ordering_fields = ["name", "valid_from"]
    module = MODULE_CONFIG

    def create_object(self, data: dict[str, Any]) -> Template:
        return services.template_create(user=self.request.user, **_components(data))

    def update_object(self, instance: Template, data: dict[str, Any]) -> Template:
        return services.template_update(user=self.request.user, template=instance, **_components(data))

    def delete_object(self, instance: Template) -> None:
        services.template_delete(user=self.request.user, template=instance)


# --- assignments ------------------------------------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
    template = ScopedPrimaryKeyRelatedField(queryset=Template.objects.all())
    subject = serializers.IntegerField(source="subject_id", help_text=_("User id (account manager) or org unit id."))
    subject_name = serializers.CharField(read_only=True)
    template_name = serializers.CharField(source="template.name", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "template", "template_name", "subject_type", "subject", "subject_name", "org_unit",
                  "month_from", "month_to", "created_at"]
        read_only_fields = ["org_unit", "created_at"]
        extra_kwargs = {"subject_type": {"required": False}}


class AssignmentViewSet(ScopedModelViewSet):
    """分配模板: one template per subject and month (R-ASM-4)."""

    queryset = Assignment.objects.select_related("template", "user", "org_unit")
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilterSet
    ordering_fields = ["month_from", "subject_id"]
    module = MODULE_CONFIG

    def create_object(self, data: dict[str, Any]) -> Assignment:
        return services.assignment_create(user=self.request.user, **data)

    def update_object(self, instance: Assignment, data: dict[str, Any]) -> Assignment:
        return services.assignment_update(user=self.request.user, assignment=instance, **data)

    def delete_object(self, instance: Assignment) -> None:
        services.assignment_delete(user=self.request.user, assignment=instance)


# --- runs -----------------------------------------------------------------------------------------------------


class RunSerializer(serializers.ModelSerializer):
    report = serializers.JSONField(read_only=True, help_text=_("Missing-data report."))

    class Meta:
        model = AssessmentRun
        fields = ["id", "period", "status", "trigger", "refresh_config", "created_by", "created_at", "started_at",
                  "finished_at", "result_count", "input_hash", "report", "message", "job_id"]
        read_only_fields = ["status", "trigger", "created_by", "created_at", "started_at", "finished_at",
                            "result_count", "input_hash", "message", "job_id"]


class RunViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                 GenericViewSet):
    """考核计算: POST ``{"period": "YYYY-MM"}`` starts a run as a background job; GET shows its
    status and missing-data report."""

    queryset = AssessmentRun.objects.all()
    serializer_class = RunSerializer
    filterset_class = RunFilterSet
    ordering_fields = ["created_at", "period"]
    module = MODULE_RUN

    def list(self, request, *args, **kwargs):
        services.runs_sync()
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        services.runs_sync()
        return super().retrieve(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response.status_code = status.HTTP_202_ACCEPTED
        return response

    def create_object(self, data: dict[str, Any]) -> AssessmentRun:
        return services.run_start(user=self.request.user, period=data["period"],
                                  refresh_config=data.get("refresh_config", False))

    @extend_schema(
        parameters=[OpenApiParameter("period", str, required=True, description=str(_("Month, YYYY-MM.")))],
        responses=inline_serializer("MissingDataReport", {
            "period": serializers.CharField(), "subjects": serializers.IntegerField(),
            "unassigned_count": serializers.IntegerField(), "unassigned": serializers.JSONField(),
            "invalid_templates": serializers.JSONField(), "missing_values": serializers.JSONField(),
            "blocked": serializers.IntegerField(),
        }),
    )
    @action(detail=False, methods=["get"])
    def preview(self, request):
        """The missing-data report of a month before computing it (today's configuration)."""
        period = request.query_params.get("period", "")
        with service_errors():
            services.check_period(period)
        return Response(services.missing_report(period))


# --- results, details, adjustments ------------------------------------------------------------------------------


class ScoreDetailSerializer(serializers.ModelSerializer):
    value = serializers.DecimalField(max_digits=20, decimal_places=4, read_only=True, allow_null=True)
    period = serializers.CharField(source="result.period", read_only=True)
    subject = serializers.IntegerField(source="result.subject_id", read_only=True)
    subject_name = serializers.CharField(source="result.subject_label", read_only=True)
    explanation = serializers.CharField(read_only=True, help_text=_(
        "How the score came about: the interval hit, or the completion rate and floor (保底) or cap (封顶)."))

    class Meta:
        model = ScoreDetail
        fields = ["id", "result", "period", "subject", "subject_name", "indicator", "indicator_name",
                  "indicator_weight", "indicator_score", "atomic", "atomic_name", "metric_code", "value", "measure",
                  "interval_position", "interval_text", "explanation", "score", "weight", "contribution",
                  "status"]


class BreakdownAtomicSerializer(serializers.Serializer):
    atomic = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    metric = serializers.CharField()
    value = serializers.CharField(allow_null=True)
    interval = serializers.CharField()
    explanation = serializers.CharField()
    score = serializers.CharField()
    weight = serializers.CharField()
    contribution = serializers.CharField()
    status = serializers.CharField()


class BreakdownIndicatorSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    weight = serializers.CharField()
    score = serializers.CharField()
    contribution = serializers.CharField()
    atomics = BreakdownAtomicSerializer(many=True)


class ResultSerializer(serializers.ModelSerializer):
    subject = serializers.IntegerField(source="subject_id", read_only=True)
    subject_name = serializers.CharField(source="subject_label", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True, default="")
    indicators = serializers.SerializerMethodField()
    veto = serializers.CharField(source="veto_explanation", read_only=True, help_text=_(
        "The veto item hit (一票否决) and the total it sets; empty when none."))
    confirmation_state = serializers.SerializerMethodField(help_text=_(
        "pending / confirmed / appealing / closed (appeal decided) once the month is published for confirmation; "
        "null before."))

    class Meta:
        model = Result
        fields = ["id", "period", "subject_type", "subject", "subject_name", "org_unit", "org_unit_name", "template",
                  "template_name", "status", "score", "bonus", "adjustment", "total", "vetoed", "veto", "rank",
                  "rank_in_unit", "run", "confirmation_state", "indicators"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_confirmation_state(self, obj: Result) -> str | None:
        return getattr(obj, "confirmation_state", None)

    @extend_schema_field(BreakdownIndicatorSerializer(many=True))
    def get_indicators(self, obj: Result) -> list[dict[str, Any]]:
        groups: OrderedDict[str, dict[str, Any]] = OrderedDict()
        for d in obj.details.all():
            group = groups.setdefault(d.indicator_name, {
                "indicator": d.indicator_id, "name": d.indicator_name, "weight": str(d.indicator_weight),
                "score": str(d.indicator_score), "contribution": str(d.indicator_score * d.indicator_weight),
                "atomics": [],
            })
            group["atomics"].append({
                "atomic": d.atomic_id, "name": d.atomic_name, "metric": d.metric_code,
                "value": None if d.value is None else str(d.value), "interval": d.interval_text,
                "explanation": d.explanation,
                "score": str(d.score), "weight": str(d.weight), "contribution": str(d.contribution),
                "status": d.status,
            })
        return list(groups.values())


class ResultViewSet(ScopedReadOnlyViewSet):
    """考核结果查询: results with ranking and their indicator breakdown (R-PERM-2 scope)."""

    queryset = Result.objects.select_related("org_unit").prefetch_related(
        Prefetch("details", queryset=ScoreDetail.objects.order_by("position")))
    serializer_class = ResultSerializer
    filterset_class = ResultFilterSet
    ordering_fields = ["period", "rank", "total", "subject_label"]
    module = MODULE_RESULTS

    def get_queryset(self):
        from .appeals import with_confirmation_state

        return with_confirmation_state(super().get_queryset())


class ScoreDetailViewSet(ScopedReadOnlyViewSet):
    """考核明细查询: every atomic indicator's value, interval hit, score, weight and contribution."""

    queryset = ScoreDetail.objects.select_related("result")
    serializer_class = ScoreDetailSerializer
    filterset_class = ScoreDetailFilterSet
    ordering_fields = ["result__period", "position"]
    module = MODULE_RESULTS


class AdjustmentSerializer(serializers.ModelSerializer):
    result = ScopedPrimaryKeyRelatedField(queryset=Result.objects.all(), scope_action="change", write_only=True,
                                          help_text=_("The result of last month to adjust."))
    subject = serializers.IntegerField(source="subject_id", read_only=True)
    subject_name = serializers.CharField(read_only=True)
    delta = NumberText(help_text=_("Points added to the total (negative to deduct)."))

    class Meta:
        model = Adjustment
        fields = ["id", "result", "period", "subject_type", "subject", "subject_name", "org_unit", "delta", "reason",
                  "created_by", "created_at"]
        read_only_fields = ["period", "subject_type", "org_unit", "created_by", "created_at"]


class AdjustmentViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, GenericViewSet):
    """考核分数调整: last month's totals, on days 1–15, with a reason (R-ASM-6)."""

    queryset = Adjustment.objects.select_related("user", "org_unit")
    serializer_class = AdjustmentSerializer
    filterset_class = AdjustmentFilterSet
    ordering_fields = ["created_at", "period"]
    module = MODULE_RESULTS

    def create_object(self, data: dict[str, Any]) -> Adjustment:
        with service_errors():
            return services.adjustment_create(user=self.request.user, result=data["result"], delta=data["delta"],
                                              reason=data["reason"])


class SubjectWriteMixin(serializers.Serializer):
    subject = serializers.IntegerField(source="subject_id", help_text=_("User id (account manager) or org unit id."))
    subject_name = serializers.CharField(read_only=True)


class BonusSerializer(SubjectWriteMixin, serializers.ModelSerializer):
    points = NumberText()

    class Meta:
        model = Bonus
        fields = ["id", "period", "subject_type", "subject", "subject_name", "org_unit", "points", "reason",
                  "created_by", "created_at"]
        read_only_fields = ["org_unit", "created_by", "created_at"]


class BonusViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.UpdateModelMixin, mixins.DestroyModelMixin, GenericViewSet):
    """加分项: extra points of a subject for a month (counted in the total)."""

    queryset = Bonus.objects.select_related("user", "org_unit")
    serializer_class = BonusSerializer
    filterset_class = BonusFilterSet
    ordering_fields = ["period", "created_at"]
    module = MODULE_RESULTS

    def create_object(self, data: dict[str, Any]) -> Bonus:
        return services.bonus_create(user=self.request.user, subject_type=data["subject_type"],
                                     subject_id=data["subject_id"], period=data["period"], points=data["points"],
                                     reason=data["reason"])

    def update_object(self, instance: Bonus, data: dict[str, Any]) -> Bonus:
        return services.bonus_update(user=self.request.user, bonus=instance,
                                     points=data.get("points", instance.points), reason=data.get("reason",
                                                                                                 instance.reason))

    def delete_object(self, instance: Bonus) -> None:
        services.bonus_delete(user=self.request.user, bonus=instance)


class NoteSerializer(SubjectWriteMixin, serializers.ModelSerializer):
    class Meta:
        model = AssessmentNote
        fields = ["id", "period", "subject_type", "subject", "subject_name", "org_unit", "text", "created_by",
                  "created_at", "updated_at"]
        read_only_fields = ["org_unit", "created_by", "created_at", "updated_at"]


class NoteViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, mixins.DestroyModelMixin, GenericViewSet):
    """Non-KPI assessment notes (添加和修改)."""

    queryset = AssessmentNote.objects.select_related("user", "org_unit")
    serializer_class = NoteSerializer
    filterset_class = NoteFilterSet
    ordering_fields = ["period", "created_at"]
    module = MODULE_RESULTS

    def create_object(self, data: dict[str, Any]) -> AssessmentNote:
        return services.note_create(user=self.request.user, subject_type=data["subject_type"],
                                    subject_id=data["subject_id"], period=data["period"], text=data["text"])

    def update_object(self, instance: AssessmentNote, data: dict[str, Any]) -> AssessmentNote:
        return services.note_update(user=self.request.user, note=instance, text=data.get("text", instance.text))

    def delete_object(self, instance: AssessmentNote) -> None:
        services.note_delete(user=self.request.user, note=instance)


# --- what-if (试算) ----------------------------------------------------------------------------------------------


class WhatIfAtomicIn(serializers.Serializer):
    atomic = serializers.IntegerField(required=False, allow_null=True, help_text=_("Atomic indicator id."))
    new = serializers.JSONField(required=False, allow_null=True, help_text=_(
        "Instead of a saved atomic indicator: a new one, with the fields of atomic-indicators/ (metric id or "
        "code, mode, intervals, …); checked by the same rules and never saved."))
    weight = NumberText()


class WhatIfComponentIn(serializers.Serializer):
    indicator = serializers.IntegerField(required=False, allow_null=True,
                                         help_text=_("A saved assessment indicator; or give name and atomics."))
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    atomics = WhatIfAtomicIn(many=True, required=False, help_text=_("The atomic indicators of a new indicator."))
    weight = NumberText()


class WhatIfIn(serializers.Serializer):
    period = serializers.CharField(help_text=_("Month, YYYY-MM."))
    template = serializers.IntegerField(required=False, allow_null=True,
                                        help_text=_("A template to start from (its components and assignees)."))
    components = WhatIfComponentIn(many=True, required=False, allow_null=True,
                                   help_text=_("The draft's weighted indicators; empty: the template's."))
    org_unit = serializers.IntegerField(required=False, allow_null=True,
                                        help_text=_("Score the subjects of this org unit and below; empty: the "
                                                    "template's assignees in the month."))
    subject_type = serializers.ChoiceField(choices=SubjectType.choices, required=False)


class WhatIfViewSet(ScopedViewSetMixin, GenericViewSet):
    """试算: score a draft template against a month's real values. Nothing is saved; the official
    results and runs are not touched."""

    module = MODULE_CONFIG
    action_permissions = {"create": "view"}
    serializer_class = WhatIfIn

    @extend_schema(request=WhatIfIn, responses=inline_serializer("WhatIfOut", {
        "period": serializers.CharField(), "subject_type": serializers.CharField(),
        "count": serializers.IntegerField(), "truncated": serializers.BooleanField(),
        "indicators": serializers.JSONField(),
        "subjects": serializers.JSONField(help_text=_("Per subject: score, official score and the explanation.")),
    }))
    def create(self, request, *args, **kwargs):
        from django.core.exceptions import ValidationError as DjangoValidationError

        from kam.org.models import OrgUnit

        from .whatif import what_if

        ser = WhatIfIn(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        with service_errors():
            template = None
            if data.get("template"):
                template = Template.objects.restrict(request.user, "view").filter(pk=data["template"]).first()
                if template is None:
                    raise DjangoValidationError({"template": _("Unknown template.")})
            org_unit = None
            if data.get("org_unit"):
                org_unit = OrgUnit.objects.filter(pk=data["org_unit"]).first()
                if org_unit is None:
                    raise DjangoValidationError({"org_unit": _("Unknown organisation unit.")})
            components = None
            if data.get("components"):
                components = [{"indicator": c.get("indicator"), "name": c.get("name", ""), "weight": c["weight"],
                               "atomics": [dict(a) for a in c.get("atomics") or []]} for c in data["components"]]
            result = what_if(user=request.user, period=data["period"], template=template, components=components,
                             org_unit=org_unit, subject_type=data.get("subject_type"))
        return Response(result.as_dict())


def router_register(router) -> None:
    router.register("assessment/metrics", MetricViewSet, basename="assessment-metric")
    router.register("assessment/metric-values", MetricValueViewSet, basename="assessment-metric-value")
    router.register("assessment/atomic-indicators", AtomicIndicatorViewSet, basename="assessment-atomic")
    router.register("assessment/indicators", IndicatorViewSet, basename="assessment-indicator")
    router.register("assessment/templates", TemplateViewSet, basename="assessment-template")
    router.register("assessment/assignments", AssignmentViewSet, basename="assessment-assignment")
    router.register("assessment/runs", RunViewSet, basename="assessment-run")
    router.register("assessment/results", ResultViewSet, basename="assessment-result")
    router.register("assessment/score-details", ScoreDetailViewSet, basename="assessment-score-detail")
    router.register("assessment/adjustments", AdjustmentViewSet, basename="assessment-adjustment")
    router.register("assessment/bonuses", BonusViewSet, basename="assessment-bonus")
    router.register("assessment/notes", NoteViewSet, basename="assessment-note")
    router.register("assessment/what-if", WhatIfViewSet, basename="assessment-what-if")

    # 结果确认 and 申诉 (decision 0026): publications, confirmations, appeals, results/{id}/confirm|appeal/.
    from .appeals_api import router_register as register_appeals

    register_appeals(router)

    # 考核目标 and 目标达成 (decision 0025).
    from .targets_api import targets_router_register

    targets_router_register(router)
