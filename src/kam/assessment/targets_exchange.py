"""Excel import and export of 考核目标 and the export of 目标达成 (decision 0025).

Targets are matched on metric + subject + period (the column 指标/对象/期间 of the export):
"create only" refuses a row whose target exists, "update existing" changes its tiers — the result
counts such rows as updated (or unchanged when the tiers are the same), new targets as created. The
direction (higher or lower is better) is chosen on creation (empty: higher) and fixed afterwards. A
file imports top-level targets (decompose them on the page or through the API)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kam.exchange.columns import Choice, ForeignKey, Number, Text
from kam.exchange.specs import MODE_CREATE, ExportSpec, ImportSpec, RowContext, register
from kam.org.models import OrgUnit, User

from . import targets
from .models import MODULE_TARGETS, Metric, Target, TargetDirection, TargetSubjectType
from .services import MANAGER_ROLE
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
        Choice("direction", _("Direction"), choices=TargetDirection.choices,
               help=_("empty: higher is better; fixed once the target is created")),
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
        return {}  # matched in check_rows(): metric + subject + period

    def _subjects(self, rows: list[Any]) -> dict[tuple[str, str], int]:
        """``(subject type, account or unit code) → id`` of the subjects named in the file (two queries)."""
        wanted: dict[str, set[str]] = {TargetSubjectType.MANAGER: set(), TargetSubjectType.UNIT: set()}
        for row in rows:
            kind, key = row.values.get("subject_type"), row.values.get("subject")
            if kind in wanted and key:
                wanted[kind].add(str(key))
        managers = User.objects.filter(username__in=wanted[TargetSubjectType.MANAGER], roles__code=MANAGER_ROLE)
        found = {(TargetSubjectType.MANAGER.value, u): pk for u, pk in managers.values_list("username", "pk")}
        found.update({(TargetSubjectType.UNIT.value, c): pk for c, pk in OrgUnit.objects.filter(
            code__in=wanted[TargetSubjectType.UNIT]).values_list("code", "pk")})
        return found

    def check_rows(self, ctx: RowContext, rows: list[Any]) -> None:
        """Resolve each row's subject and period and match it to an existing target (metric +
        subject + period): "create only" refuses it, "update existing" updates it (the engine then
        counts the row as updated or unchanged); one row per target in a file."""
        subjects = self._subjects(rows)
        keys: dict[int, tuple[int, str, int, str]] = {}
        for row in rows:
            v = row.values
            if not all(v.get(f) for f in ("metric", "subject_type", "subject", "period")):
                continue
            pk = subjects.get((v["subject_type"], str(v["subject"])))
            if pk is None:
                row.add_error("subject", _("“%(value)s” was not found") % {"value": v["subject"]})
                continue
            try:
                v["period"], _kind = targets.check_target_period(v["period"])
            except ValidationError as exc:
                row.add_error("period", " ".join(exc.messages))
                continue
            keys[row.number] = (v["metric"].pk, v["subject_type"], pk, v["period"])
            ctx.cache[("target_subject", row.number)] = pk
        counts = Counter(keys.values())
        existing: dict[tuple[int, str, int, str], Target] = {}
        if keys:
            candidates = Target.objects.filter(
                metric_id__in={k[0] for k in keys.values()}, subject_id__in={k[2] for k in keys.values()},
                period__in={k[3] for k in keys.values()}).select_related("metric", "org_unit", "user")
            existing = {(t.metric_id, t.subject_type, t.subject_id, t.period): t for t in candidates}
        changeable = set(self.base_queryset(ctx.user, "change").filter(
            pk__in=[t.pk for t in existing.values()]).values_list("pk", flat=True)) if existing else set()
        for row in rows:
            key = keys.get(row.number)
            if key is None:
                continue
            if counts[key] > 1:
                row.add_error("subject", _("The same metric, subject and period appears more than once in this "
                                           "file."))
                continue
            target = existing.get(key)
            if target is None:
                continue
            if ctx.mode == MODE_CREATE:
                row.add_error("period", _("“%(value)s” already exists") % {"value": _match(target)})
            elif target.pk not in changeable:
                row.add_error("subject", _("“%(value)s” is outside your data scope") % {"value": _match(target)})
            elif row.values.get("direction") and row.values["direction"] != target.direction:
                row.add_error("direction", _("The direction is fixed once the target is created (“%(value)s”).")
                              % {"value": target.get_direction_display()})
            else:
                row.existing = target

    def create(self, ctx: RowContext, values: dict[str, Any]) -> Target:
        pk = ctx.cache[("target_subject", ctx.row)]  # resolved in check_rows()
        return targets.target_create(user=ctx.user, metric=values["metric"], subject_type=values["subject_type"],
                                     subject_id=pk, period=values["period"],
                                     direction=values.get("direction") or TargetDirection.HIGHER,
                                     **{f: values.get(f) for f in targets.TIER_FIELDS})

    def update(self, ctx: RowContext, obj: Target, values: dict[str, Any]) -> Target:
        """Change the tiers given in the row (empty cells keep the current tier)."""
        return targets.target_update(user=ctx.user, target=obj,
                                     **{f: values.get(f, getattr(obj, f)) for f in targets.TIER_FIELDS})


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
        Text("direction", _("Direction"), source=lambda t: t.get_direction_display()),
        Number("target_pct", _("Target attainment (%)"),
               source=lambda t: targets.attainment_pct(t.actual, t.target_value, t.direction)),
        Number("sprint_value", _("Sprint value")),
        Number("sprint_pct", _("Sprint attainment (%)"),
               source=lambda t: targets.attainment_pct(t.actual, t.sprint_value, t.direction)),
        Number("challenge_value", _("Challenge value")),
        Number("challenge_pct", _("Challenge attainment (%)"),
               source=lambda t: targets.attainment_pct(t.actual, t.challenge_value, t.direction)),
        Text("tier_reached", _("Tier reached"), source=lambda t: targets.tier_label(t.tier_reached)),
    )

    def get_queryset(self, user):
        return self.base_queryset(user, "view").select_related("metric", "org_unit", "user")
