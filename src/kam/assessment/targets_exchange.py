"""Excel import and export of 考核目标 and the export of 目标达成 (decision 0025).

Targets are matched on metric + subject + period (the column 指标/对象/期间 of the export):
"create only" refuses a row whose target exists, "update existing" changes its tiers. A file
imports top-level targets (decompose them on the page or through the API)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kam.exchange.columns import Choice, ForeignKey, Number, Text
from kam.exchange.specs import MODE_CREATE, ExportSpec, ImportSpec, RowContext, register
from kam.org.models import OrgUnit, User

from . import targets
from .models import MODULE_TARGETS, Metric, Target, TargetSubjectType
from .targets_filtersets import TargetAttainmentFilterSet, TargetFilterSet


def _subject_key(t: Target) -> str:
    if t.subject_type == TargetSubjectType.MANAGER:
        return t.user.username if t.user_id else str(t.subject_id)
    return t.org_unit.code


def _match(t: Target) -> str:
    return f"{t.metric.code}/{_subject_key(t)}/{t.period}"


@register
class TargetImportSpec(ImportSpec):
    code = "assessment.targets"
    label = _("Assessment targets")
    model = Target
    module = MODULE_TARGETS
    key = "match"
    filterset = TargetFilterSet
    ordering = ("period", "metric__code", "org_unit__path", "subject_type", "subject_id")
    columns = (
        Text("match", _("Metric / subject / period"), source=_match, importable=False),
        ForeignKey("metric", _("Metric code"), model=Metric, key="code", required=True, scope=None,
                   filter={"enabled": True}),
        Choice("subject_type", _("Subject type"), choices=TargetSubjectType.choices, required=True),
        Text("subject", _("Subject (account or unit code)"), required=True, source=_subject_key,
             help=_("the account of an account manager, or the code of an organisation unit")),
        Text("subject_name", _("Subject name"), source=lambda t: t.subject_name, importable=False),
        Text("period", _("Period"), required=True,
             help=_("a year (2026), a quarter (2026-Q1) or a month (2026-03)")),
        Number("target_value", _("Target value"), required=True),
        Number("sprint_value", _("Sprint value")),
        Number("challenge_value", _("Challenge value")),
        Text("parent", _("Decomposed from"), importable=False,
             source=lambda t: _match(t.parent) if t.parent_id else ""),
    )

    def get_queryset(self, user):
        return self.base_queryset(user, "view").select_related(
            "metric", "org_unit", "user", "parent__metric", "parent__org_unit", "parent__user").order_by(
            *self.ordering)

    def find_existing(self, keys):
        return {}  # matched in create(): metric + subject + period

    def _subject(self, ctx: RowContext, values: dict[str, Any]) -> tuple[str, int]:
        kind, key = values["subject_type"], str(values["subject"])
        if kind == TargetSubjectType.MANAGER:
            found = User.objects.filter(username=key, roles__code="account_manager").values_list("pk", flat=True)
        else:
            found = OrgUnit.objects.filter(code=key).values_list("pk", flat=True)
        pk = found.first()
        if pk is None:
            raise ValidationError({"subject": _("“%(value)s” was not found") % {"value": key}})
        return kind, pk

    def check_rows(self, ctx: RowContext, rows: list[Any]) -> None:
        keys = {}
        for row in rows:
            v = row.values
            if all(v.get(f) for f in ("metric", "subject_type", "subject", "period")):
                keys[row.number] = (v["metric"].pk, v["subject_type"], str(v["subject"]),
                                    targets.ts.normalise_period(v["period"]))
        counts = Counter(keys.values())
        for row in rows:
            if counts.get(keys.get(row.number), 0) > 1:
                row.add_error("subject", _("The same metric, subject and period appears more than once in this "
                                           "file."))

    def create(self, ctx: RowContext, values: dict[str, Any]) -> Target:
        kind, pk = self._subject(ctx, values)
        period, _kind = targets.check_target_period(values["period"])
        existing = Target.objects.filter(metric=values["metric"], subject_type=kind, subject_id=pk,
                                         period=period).first()
        tiers = {f: values.get(f) for f in targets.TIER_FIELDS}
        if existing is None:
            return targets.target_create(user=ctx.user, metric=values["metric"], subject_type=kind, subject_id=pk,
                                         period=period, **tiers)
        if ctx.mode == MODE_CREATE:
            raise ValidationError({"period": _("“%(value)s” already exists") % {"value": _match(existing)}})
        return targets.target_update(user=ctx.user, target=existing, **tiers)


@register
class TargetAttainmentExportSpec(ExportSpec):
    """目标达成 导出: exactly what the list shows (period, filters, scope)."""

    code = "assessment.target_attainment"
    label = _("Target attainment")
    model = Target
    module = MODULE_TARGETS
    filterset = TargetAttainmentFilterSet
    ordering = ("metric__code", "org_unit__path", "subject_type", "subject_id")
    columns = (
        Text("period", _("Period")),
        Text("metric", _("Metric"), source="metric.name"),
        Text("subject", _("Subject"), source=lambda t: t.subject_name),
        Text("subject_type", _("Subject type"), source=lambda t: t.get_subject_type_display()),
        Text("org_unit", _("Organisation unit"), source="org_unit.name"),
        Number("actual", _("Actual"), places=4),
        Number("target_value", _("Target value")),
        Number("target_pct", _("Target attainment (%)"),
               source=lambda t: targets.attainment_pct(t.actual, t.target_value)),
        Number("sprint_value", _("Sprint value")),
        Number("sprint_pct", _("Sprint attainment (%)"),
               source=lambda t: targets.attainment_pct(t.actual, t.sprint_value)),
        Number("challenge_value", _("Challenge value")),
        Number("challenge_pct", _("Challenge attainment (%)"),
               source=lambda t: targets.attainment_pct(t.actual, t.challenge_value)),
        Text("tier_reached", _("Tier reached"), source=lambda t: targets.tier_label(t.tier_reached)),
    )

    def get_queryset(self, user):
        return self.base_queryset(user, "view").select_related("metric", "org_unit", "user")
