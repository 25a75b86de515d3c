"""Excel import of template assignments (分配模板 导入, R-ASM-4 batch) and exports of the assessment
queries (考核结果查询 导出, 考核明细, 考核分数调整): exactly what the list shows, within the user's
data scope."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kam.exchange.columns import DateTime, ForeignKey, Integer, Month, Number, Text
from kam.exchange.specs import ExportSpec, ImportSpec, RowContext, register
from kam.org.models import User

from . import services
from .filtersets import (
    AdjustmentFilterSet,
    AssignmentFilterSet,
    BonusFilterSet,
    NoteFilterSet,
    ResultFilterSet,
    ScoreDetailFilterSet,
)
from .kernel import round2
from .models import (
    MODULE_CONFIG,
    MODULE_DATA,
    MODULE_RESULTS,
    Adjustment,
    AssessmentNote,
    Assignment,
    Bonus,
    Metric,
    MetricSource,
    MetricValue,
    Result,
    ScoreDetail,
    SubjectType,
    Template,
)


def _rounded(field: str):
    def read(obj):
        value = getattr(obj, field)
        return None if value is None else round2(value)

    return read


@register
class ResultExportSpec(ExportSpec):
    code = "assessment.results"
    label = _("Assessment results")
    model = Result
    module = MODULE_RESULTS
    filterset = ResultFilterSet
    ordering = ("period", "rank", "subject_label")
    columns = (
        Text("period", _("Month")),
        Text("subject_label", _("Subject")),
        Text("org_unit", _("Organisation unit"), source="org_unit.name"),
        Text("template_name", _("Template")),
        Text("status", _("Status"), source=lambda r: r.get_status_display()),
        Number("score", _("Template score"), source=_rounded("score")),
        Number("bonus", _("Bonus points")),
        Number("adjustment", _("Adjustment")),
        Number("total", _("Total"), source=_rounded("total")),
        Text("veto", _("Veto item"), source="veto_explanation"),
        Integer("rank", _("Rank")),
        Integer("rank_in_unit", _("Rank in unit")),
    )

    def get_queryset(self, user):
        return self.base_queryset(user, "view").select_related("org_unit").order_by(*self.ordering)


@register
class ScoreDetailExportSpec(ExportSpec):
    code = "assessment.details"
    label = _("Score details")
    model = ScoreDetail
    module = MODULE_RESULTS
    filterset = ScoreDetailFilterSet
    ordering = ("result__period", "result__subject_label", "position")
    columns = (
        Text("period", _("Month"), source="result.period"),
        Text("subject", _("Subject"), source="result.subject_label"),
        Text("indicator_name", _("Assessment indicator")),
        Number("indicator_weight", _("Indicator weight")),
        Text("atomic_name", _("Atomic indicator")),
        Text("metric_code", _("Metric")),
        Number("value", _("Value"), places=4),
        Text("interval_text", _("Interval hit"), source=lambda d: d.explanation),
        Number("score", _("Score")),
        Number("weight", _("Weight")),
        Number("contribution", _("Contribution"), places=4),
    )

    def get_queryset(self, user):
        return self.base_queryset(user, "view").select_related("result").order_by(*self.ordering)


@register
class AdjustmentExportSpec(ExportSpec):
    code = "assessment.adjustments"
    label = _("Score adjustments")
    model = Adjustment
    module = MODULE_RESULTS
    filterset = AdjustmentFilterSet
    ordering = ("-created_at",)
    columns = (
        Text("period", _("Month")),
        Text("subject", _("Subject"), source=lambda a: a.subject_name),
        Number("delta", _("Adjustment")),
        Text("reason", _("Reason")),
        Text("created_by", _("Adjusted by"), source=lambda a: str(a.created_by or "")),
        DateTime("created_at", _("Adjusted at")),
    )

    def get_queryset(self, user):
        return self.base_queryset(user, "view").select_related("user", "org_unit", "created_by").order_by(
            *self.ordering)


@register
class BonusExportSpec(ExportSpec):
    code = "assessment.bonuses"
    label = _("Bonus points")
    model = Bonus
    module = MODULE_RESULTS
    filterset = BonusFilterSet
    ordering = ("-period", "-id")
    columns = (
        Text("period", _("Month")),
        Text("subject", _("Subject"), source=lambda b: b.subject_name),
        Text("org_unit", _("Organisation unit"), source=lambda b: b.org_unit.name if b.org_unit_id else ""),
        Number("points", _("Points")),
        Text("reason", _("Reason")),
        Text("created_by", _("Created by"), source=lambda b: str(b.created_by or "")),
    )

    def get_queryset(self, user):
        return self.base_queryset(user, "view").select_related("user", "org_unit", "created_by").order_by(
            *self.ordering)


@register
class NoteExportSpec(ExportSpec):
    code = "assessment.notes"
    label = _("Assessment notes")
    model = AssessmentNote
    module = MODULE_RESULTS
    filterset = NoteFilterSet
    ordering = ("-period", "-id")
    columns = (
        Text("period", _("Month")),
        Text("subject", _("Subject"), source=lambda n: n.subject_name),
        Text("org_unit", _("Organisation unit"), source=lambda n: n.org_unit.name if n.org_unit_id else ""),
        Text("text", _("Note")),
        DateTime("updated_at", _("Updated at")),
    )

    def get_queryset(self, user):
        return self.base_queryset(user, "view").select_related("user", "org_unit", "created_by").order_by(
            *self.ordering)


@register
class AssignmentImportSpec(ImportSpec):
    """One row per account manager: the template and the months. Rows always create assignments
    (the rules of R-ASM-3, R-ASM-4 and R-ASM-5 are the service's); a manager appears once per file."""

    code = "assessment.assignments"
    label = _("Template assignments")
    model = Assignment
    module = MODULE_CONFIG
    key = "subject"
    filterset = AssignmentFilterSet
    ordering = ("-month_from", "subject_id")
    columns = (
        ForeignKey("subject", _("Account manager account"), model=User, key="username", source="user",
                   required=True, filter={"roles__code": "account_manager"}),
        ForeignKey("template", _("Template"), model=Template, key="name", required=True, scope=None,
                   filter={"subject_type": SubjectType.MANAGER}),
        Month("month_from", _("From month"), required=True),
        Month("month_to", _("To month"), help=_("empty: until further notice")),
    )

    def get_queryset(self, user):
        return self.base_queryset(user, "view").select_related("user", "template").order_by(*self.ordering)

    def find_existing(self, keys):
        return {}  # every row is a new assignment

    def create(self, ctx: RowContext, values) -> Assignment:
        return services.assignment_create(user=ctx.user, template=values["template"], subject_id=values["subject"].pk,
                                          subject_type=SubjectType.MANAGER, month_from=values["month_from"],
                                          month_to=values.get("month_to") or "")


@register
class MetricValueImportSpec(ImportSpec):
    """指标值 导入 (the BI system's monthly file): one row per account manager and month, one
    column per enabled metric (header: the metric's name or code). Values are created or replaced
    through ``metric_values_save`` (checks, data scope); a manager appears once per file."""

    code = "assessment.metric_values"
    label = _("Metric values")
    model = MetricValue
    module = MODULE_DATA
    key = "subject"

    @property
    def columns(self):  # type: ignore[override]  # one column per metric, read when used
        metric_columns = [
            Number(f"m:{m.code}", m.name, places=4, help=_("code %(code)s%(unit)s") % {
                "code": m.code, "unit": f", {m.unit}" if m.unit else ""})
            for m in Metric.objects.filter(enabled=True, for_manager=True).order_by("code")
        ]
        return (
            ForeignKey("subject", _("Account manager account"), model=User, key="username", required=True,
                       filter={"roles__code": "account_manager"}, scope=None),
            Month("period", _("Month"), required=True),
            *metric_columns,
        )

    def export_columns(self):
        return []

    def find_existing(self, keys):
        return {}

    def create(self, ctx: RowContext, values) -> MetricValue:
        subject, period = values["subject"], values["period"]
        items = [{"metric": field[2:], "subject_type": SubjectType.MANAGER, "subject": subject.pk, "period": period,
                  "value": value} for field, value in values.items() if field.startswith("m:") and value is not None]
        if not items:
            raise ValidationError({"subject": _("The row has no metric value.")})
        try:
            services.metric_values_save(user=ctx.user, items=items, source=MetricSource.IMPORT)
        except services.BulkValidationError as exc:
            raise ValidationError({f"m:{item['metric']}": [m for msgs in errors.values() for m in msgs]
                                   for item, errors in zip(items, exc.item_errors, strict=True) if errors}) from exc
        values = MetricValue.objects.restrict(ctx.user, "view") if ctx.user is not None else MetricValue.objects
        return values.filter(subject_type=SubjectType.MANAGER, subject_id=subject.pk, period=period).first()


# 考核目标 import/export and 目标达成 export (decision 0025).
from . import targets_exchange  # noqa: E402, F401
