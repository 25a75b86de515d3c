"""Assessment targets (考核目标, REQUIREMENTS §7 "beyond the seeds", decision 0025): services and
selectors. Pages, the API, imports and the demo call these.

- ``target_create`` / ``target_update`` / ``target_delete``: a metric's target for one subject (an
  org unit at any level, or an account manager) and one period (year, quarter or month), in three
  tiers 目标 ≤ 冲刺 ≤ 挑战 (冲刺 and 挑战 optional, at most 2 decimals, never negative) — or
  目标 ≥ 冲刺 ≥ 挑战 when lower is better (``direction``: complaints, churn, arrears).
- ``target_decompose``: a year into 4 quarters or 12 months, a quarter into its 3 months, a unit's
  target to its child units or to the account managers directly in it — equally, by shares (%) or
  by amounts; every tier is split the same way and the parts add up exactly
  (:mod:`kam.assessment.targetsplit`). Decomposing again replaces the earlier parts unless one of
  them is decomposed further.
- ``targets_publish``: month targets of managers, sections and departments become metric values of
  the tier metrics (``TargetTierMetrics``), so attainment and completion-rate atomic indicators
  score against them with the kernel as it is. Idempotent; values go through
  ``metric_values_save`` (checks and data scope, like every metric value).
- ``attainment``: 目标达成 — actual, tiers, attainment % and the tier reached, in SQL (filterable,
  paginated, exported) within the user's scope.

Writes need the ``assessment_target`` change grant and stay within the user's data scope
(``check_in_scope`` before and after the change).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, CharField, DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Round
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.querysets import check_in_scope
from kam.org.models import OrgKind, OrgUnit, User

from . import kernel
from . import targetsplit as ts
from .models import (
    MODULE_CONFIG,
    MODULE_DATA,
    MODULE_TARGETS,
    Metric,
    MetricSource,
    MetricValue,
    Result,
    SubjectType,
    Target,
    TargetDirection,
    TargetSplit,
    TargetSplitMethod,
    TargetSubjectType,
    TargetTierMetrics,
    TierReached,
)
from .services import MANAGER_ROLE, BulkValidationError, _require, metric_values_save, resolve_subject

TIER_FIELDS = ("target_value", "sprint_value", "challenge_value")
TIER_LABELS = {
    "target_value": gettext_lazy("Target value"),
    "sprint_value": gettext_lazy("Sprint value"),
    "challenge_value": gettext_lazy("Challenge value"),
}
# Org units that are assessment subjects themselves (their targets are published as theirs).
PUBLISHED_UNIT_KINDS = {OrgKind.SECTION: SubjectType.SECTION, OrgKind.DEPARTMENT: SubjectType.DEPARTMENT}
MAX_VALUE = Decimal(10) ** 16


# --- checks ----------------------------------------------------------------------------------------------


def check_target_period(period: Any, field: str = "period") -> tuple[str, str]:
    """``(period, kind)`` of a year ``2026``, a quarter ``2026-Q1`` or a month ``2026-03``."""
    text = ts.normalise_period(str(period or ""))
    kind = ts.period_kind(text)
    if kind is None:
        raise ValidationError({field: _("Enter a year (2026), a quarter (2026-Q1) or a month (2026-03).")})
    return text, kind


def _number(raw: Any, field: str, label: str, errors: dict[str, str]) -> Decimal | None:
    value = kernel.to_decimal(str(raw) if isinstance(raw, float) else raw)
    if value is None:
        errors[field] = _("%(label)s: “%(value)s” is not a number.") % {"label": label, "value": raw}
    elif kernel.decimals_of(value) > 2:
        errors[field] = _("%(label)s: at most 2 decimals.") % {"label": label}
    elif value < 0:
        errors[field] = _("%(label)s may not be negative.") % {"label": label}
    elif value >= MAX_VALUE:
        errors[field] = _("%(label)s: the number is too large.") % {"label": label}
    else:
        return value.quantize(Decimal("0.01"))
    return None


def check_direction(direction: Any) -> str:
    """``higher`` (default when empty) or ``lower``; a clear error naming the field otherwise."""
    if direction is None or direction == "":
        return TargetDirection.HIGHER.value
    if direction not in TargetDirection.values:
        raise ValidationError({"direction": _("Choose “higher is better” or “lower is better”.")})
    return str(direction)


def clean_tiers(target_value: Any, sprint_value: Any = None, challenge_value: Any = None,
                direction: str = TargetDirection.HIGHER) -> tuple[Decimal, Decimal | None, Decimal | None]:
    """The three tiers as decimals: 目标 required, 冲刺 and 挑战 optional (挑战 only with 冲刺),
    目标 ≤ 冲刺 ≤ 挑战 (lower is better: 目标 ≥ 冲刺 ≥ 挑战), at most 2 decimals, not negative —
    each refusal names its field."""
    errors: dict[str, str] = {}
    values: dict[str, Decimal | None] = {}
    for field, raw in zip(TIER_FIELDS, (target_value, sprint_value, challenge_value), strict=True):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[field] = None
            if field == "target_value":
                errors[field] = _("Enter the target value.")
            continue
        values[field] = _number(raw.strip() if isinstance(raw, str) else raw, field, str(TIER_LABELS[field]),
                                errors)
    if errors:
        raise ValidationError(errors)
    target, sprint, challenge = (values[f] for f in TIER_FIELDS)
    assert target is not None
    if challenge is not None and sprint is None:
        errors["challenge_value"] = _("Give the sprint value before the challenge value.")
    lower = direction == TargetDirection.LOWER

    def out_of_order(value: Decimal | None, previous: Decimal | None) -> bool:
        return value is not None and previous is not None and (value > previous if lower else value < previous)

    if out_of_order(sprint, target):
        args = {"sprint": kernel.fmt(sprint), "target": kernel.fmt(target)}
        errors["sprint_value"] = (_(
            "The sprint value (%(sprint)s) may not be above the target value (%(target)s): lower is better, "
            "so target ≥ sprint ≥ challenge.") if lower else _(
            "The sprint value (%(sprint)s) may not be below the target value (%(target)s).")) % args
    if out_of_order(challenge, sprint):
        args = {"challenge": kernel.fmt(challenge), "sprint": kernel.fmt(sprint)}
        errors["challenge_value"] = (_(
            "The challenge value (%(challenge)s) may not be above the sprint value (%(sprint)s): lower is "
            "better, so target ≥ sprint ≥ challenge.") if lower else _(
            "The challenge value (%(challenge)s) may not be below the sprint value (%(sprint)s).")) % args
    if errors:
        raise ValidationError(errors)
    return target, sprint, challenge


def resolve_target_subject(subject_type: str, subject_id: Any) -> tuple[User | None, OrgUnit]:
    """The manager (or ``None``) and the org unit of a target's subject; a clear error otherwise."""
    if isinstance(subject_id, bool) or not isinstance(subject_id, int):
        try:
            subject_id = int(str(subject_id))
        except ValueError:
            raise ValidationError({"subject": _("Give the subject's id as a number.")}) from None
    if subject_type == TargetSubjectType.MANAGER:
        return resolve_subject(SubjectType.MANAGER, subject_id)
    if subject_type == TargetSubjectType.UNIT:
        unit = OrgUnit.objects.filter(pk=subject_id).first()
        if unit is None:
            raise ValidationError({"subject": _("%(id)s is not an organisation unit.") % {"id": subject_id}})
        return None, unit
    raise ValidationError({"subject_type": _("Unknown subject type “%(type)s”.") % {"type": subject_type}})


def _in_scope(user: Any | None, obj: Target) -> None:
    if user is not None:
        check_in_scope(user, obj, "change")


def _who(user: Any | None) -> Any | None:
    return user if getattr(user, "pk", None) else None


# --- targets ---------------------------------------------------------------------------------------------


@transaction.atomic
def target_create(*, user: Any | None = None, metric: Metric, subject_type: str, subject_id: Any, period: Any,
                  target_value: Any, sprint_value: Any = None, challenge_value: Any = None,
                  direction: str = TargetDirection.HIGHER) -> Target:
    """A target; ``direction`` (higher or lower is better) orders the tiers and is fixed once
    created."""
    _require(user, MODULE_TARGETS)
    if not isinstance(metric, Metric):
        raise ValidationError({"metric": _("Choose a metric.")})
    if not metric.enabled:
        raise ValidationError({"metric": _("The metric “%(code)s” is disabled.") % {"code": metric.code}})
    period, kind = check_target_period(period)
    direction = check_direction(direction)
    tiers = clean_tiers(target_value, sprint_value, challenge_value, direction)
    manager, unit = resolve_target_subject(subject_type, subject_id)
    sid = manager.pk if manager is not None else unit.pk
    if Target.objects.filter(metric=metric, subject_type=subject_type, subject_id=sid, period=period).exists():
        raise ValidationError({"period": _("“%(subject)s” already has a target of “%(metric)s” for %(period)s.") % {
            "subject": (manager.name or manager.username) if manager else unit.name, "metric": metric.name,
            "period": period}})
    target = Target(metric=metric, subject_type=subject_type, subject_id=sid, user=manager, org_unit=unit,
                    period=period, period_kind=kind, direction=direction, created_by=_who(user),
                    updated_by=_who(user))
    target.target_value, target.sprint_value, target.challenge_value = tiers
    target.save()
    _in_scope(user, target)
    return target


@transaction.atomic
def target_update(*, user: Any | None = None, target: Target, target_value: Any, sprint_value: Any = None,
                  challenge_value: Any = None) -> Target:
    """Change the tiers (in the order of the target's direction); metric, subject, period and
    direction are fixed once created. A decomposed target's
    parts are left as they are (the detail page shows when they no longer add up)."""
    _require(user, MODULE_TARGETS)
    _in_scope(user, target)
    target.target_value, target.sprint_value, target.challenge_value = clean_tiers(
        target_value, sprint_value, challenge_value, target.direction)
    target.updated_by = _who(user)
    target.save()
    _in_scope(user, target)
    return target


@transaction.atomic
def target_delete(*, user: Any | None = None, target: Target) -> None:
    """Delete a target that has no parts (delete or re-decompose the parts first)."""
    _require(user, MODULE_TARGETS)
    _in_scope(user, target)
    count = target.children.count()
    if count:
        raise ValidationError(_("The target has been decomposed into %(count)s parts: delete them first.") % {
            "count": count})
    parent = target.parent
    target.delete()
    if parent is not None and not parent.children.exists():
        parent.split, parent.split_method = TargetSplit.NONE, TargetSplitMethod.NONE
        parent.save(update_fields=["split", "split_method", "updated_at"])


# --- decomposition -----------------------------------------------------------------------------------------


@dataclass
class TargetPart:
    """One part of a decomposition (shown in the preview, then saved as a child target)."""

    key: str  # the part's period (time) or subject id (org), as text
    label: str
    subject_type: str
    subject_id: int
    user_id: int | None
    org_unit_id: int
    period: str
    weight: Decimal
    target_value: Decimal
    sprint_value: Decimal | None
    challenge_value: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "subject_type": self.subject_type,
                "subject": self.subject_id, "period": self.period,
                **{f: None if getattr(self, f) is None else str(getattr(self, f)) for f in TIER_FIELDS}}


def split_choices(target: Target) -> list[tuple[str, str]]:
    """The decompositions that apply to ``target`` (code, label)."""
    choices = []
    if target.period_kind == ts.YEAR:
        choices.append((TargetSplit.QUARTERS.value, str(TargetSplit.QUARTERS.label)))
    if target.period_kind in (ts.YEAR, ts.QUARTER):
        choices.append((TargetSplit.MONTHS.value, str(TargetSplit.MONTHS.label)))
    if target.subject_type == TargetSubjectType.UNIT:
        choices.append((TargetSplit.UNITS.value, str(TargetSplit.UNITS.label)))
        choices.append((TargetSplit.MANAGERS.value, str(TargetSplit.MANAGERS.label)))
    return choices


def child_units(unit_id: int) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(parent_id=unit_id, enabled=True).order_by("sort_order", "path")


def unit_managers(unit_id: int) -> QuerySet[User]:
    return (User.objects.filter(org_unit_id=unit_id, roles__code=MANAGER_ROLE, is_active=True).distinct()
            .order_by("username"))


def decomposition_slots(target: Target, split: str) -> list[dict[str, Any]]:
    """The parts ``target`` decomposes into with ``split``, in order (without values)."""
    if split not in (TargetSplit.QUARTERS, TargetSplit.MONTHS, TargetSplit.UNITS, TargetSplit.MANAGERS):
        raise ValidationError({"split": _("Choose how to decompose the target.")})
    same = {"subject_type": target.subject_type, "subject_id": target.subject_id, "user_id": target.user_id,
            "org_unit_id": target.org_unit_id}
    if split in (TargetSplit.QUARTERS, TargetSplit.MONTHS):
        periods = ts.time_parts(target.period, split)
        if not periods:
            raise ValidationError({"split": _("A target of %(period)s cannot be decomposed %(split)s.") % {
                "period": target.period, "split": str(TargetSplit(split).label).lower()}})
        return [{"key": p, "label": p, "period": p, **same} for p in periods]
    if target.subject_type != TargetSubjectType.UNIT:
        raise ValidationError({"split": _("Only an organisation unit's target is decomposed to units or account "
                                          "managers.")})
    if split == TargetSplit.UNITS:
        slots = [{"key": str(u.pk), "label": u.name, "period": target.period, "subject_type": TargetSubjectType.UNIT,
                  "subject_id": u.pk, "user_id": None, "org_unit_id": u.pk} for u in child_units(target.org_unit_id)]
        if not slots:
            raise ValidationError({"split": _("“%(unit)s” has no enabled child units.") % {
                "unit": target.org_unit.name}})
        return slots
    slots = [{"key": str(u.pk), "label": u.name or u.username, "period": target.period,
              "subject_type": TargetSubjectType.MANAGER, "subject_id": u.pk, "user_id": u.pk,
              "org_unit_id": target.org_unit_id} for u in unit_managers(target.org_unit_id)]
    if not slots:
        raise ValidationError({"split": _("“%(unit)s” has no account managers of its own.") % {
            "unit": target.org_unit.name}})
    return slots


def _weights(method: str, slots: list[dict[str, Any]], values: dict[str, Any] | None, target: Target) -> list[Decimal]:
    if method == TargetSplitMethod.EQUAL:
        return [Decimal(1)] * len(slots)
    if method not in (TargetSplitMethod.SHARES, TargetSplitMethod.AMOUNTS):
        raise ValidationError({"method": _("Choose equal parts, shares or amounts.")})
    values = {str(k): v for k, v in (values or {}).items()}
    shares = method == TargetSplitMethod.SHARES
    errors: list[str] = []
    weights: list[Decimal] = []
    for slot in slots:
        raw = values.get(slot["key"])
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            errors.append((_("Give the share of %(part)s.") if shares else _("Give the amount of %(part)s."))
                          % {"part": slot["label"]})
            weights.append(Decimal(0))
            continue
        value = kernel.to_decimal(str(raw).strip())
        if value is None:
            errors.append(_("%(part)s: “%(value)s” is not a number.") % {"part": slot["label"], "value": raw})
        elif kernel.decimals_of(value) > 2:
            errors.append(_("%(part)s: at most 2 decimals.") % {"part": slot["label"]})
        elif value < 0 or (shares and value > 100):
            errors.append((_("%(part)s: a share is from 0 to 100 (%%).") if shares
                           else _("%(part)s: an amount may not be negative.")) % {"part": slot["label"]})
        else:
            weights.append(value)
            continue
        weights.append(Decimal(0))
    if not errors:
        total = sum(weights, Decimal(0))
        if shares and total != 100:
            errors.append(_("The shares add up to %(sum)s%%, not 100%%.") % {"sum": kernel.fmt(total)})
        elif not shares and total != target.target_value:
            errors.append(_("The amounts add up to %(sum)s, not the target value %(target)s.") % {
                "sum": kernel.fmt(total), "target": kernel.fmt(target.target_value)})
    if errors:
        raise ValidationError({"values": errors})
    return weights


def decompose_preview(target: Target, split: str, method: str = TargetSplitMethod.EQUAL,
                      values: dict[str, Any] | None = None) -> list[TargetPart]:
    """The parts ``target_decompose`` would save (nothing is written)."""
    slots = decomposition_slots(target, split)
    weights = _weights(method, slots, values, target)
    tiers = ts.split_tiers((target.target_value, target.sprint_value, target.challenge_value), weights,
                           lower_is_better=target.direction == TargetDirection.LOWER)
    return [TargetPart(key=s["key"], label=s["label"], subject_type=s["subject_type"], subject_id=s["subject_id"],
                       user_id=s["user_id"], org_unit_id=s["org_unit_id"], period=s["period"], weight=w,
                       target_value=t[0], sprint_value=t[1], challenge_value=t[2])
            for s, w, t in zip(slots, weights, tiers, strict=True)]


@transaction.atomic
def target_decompose(*, user: Any | None = None, target: Target, split: str,
                     method: str = TargetSplitMethod.EQUAL, values: dict[str, Any] | None = None) -> list[Target]:
    """Decompose ``target`` (time or org, equally / by shares / by amounts) and save the parts as
    its children, replacing the parts of an earlier decomposition — refused when one of those is
    itself decomposed, or when a part's subject and period already has a target of the metric
    that does not come from this one."""
    _require(user, MODULE_TARGETS)
    target = Target.objects.select_for_update().select_related("metric", "org_unit").get(pk=target.pk)
    _in_scope(user, target)
    parts = decompose_preview(target, split, method, values)
    old = list(target.children.select_related("org_unit", "user"))
    old_ids = [c.pk for c in old]
    deeper = Target.objects.filter(parent_id__in=old_ids).values_list("parent_id", flat=True).first()
    if deeper is not None:
        part = next(c for c in old if c.pk == deeper)
        raise ValidationError({"split": _(
            "The part “%(part)s” has been decomposed further: delete its own parts first, then decompose "
            "this target again.") % {"part": f"{part.subject_name} · {part.period}"}})
    if user is not None and old_ids and Target.objects.restrict(user, "change").filter(
            pk__in=old_ids).count() != len(old_ids):
        raise PermissionDenied(_("Some earlier parts lie outside your data scope; nothing was saved."))
    clash = (Target.objects.filter(metric_id=target.metric_id, subject_type__in={p.subject_type for p in parts},
                                   subject_id__in={p.subject_id for p in parts},
                                   period__in={p.period for p in parts})
             .exclude(pk__in=old_ids).exclude(pk=target.pk).select_related("org_unit", "user"))
    wanted = {(p.subject_type, p.subject_id, p.period) for p in parts}
    for other in clash:
        if (other.subject_type, other.subject_id, other.period) in wanted:
            raise ValidationError({"split": _(
                "“%(subject)s” already has a target of this metric for %(period)s that was not decomposed from "
                "this one: delete it first.") % {"subject": other.subject_name, "period": other.period}})
    for child in old:
        child.delete()
    who = _who(user)
    created = []
    for p in parts:
        child = Target(metric_id=target.metric_id, subject_type=p.subject_type, subject_id=p.subject_id,
                       user_id=p.user_id, org_unit_id=p.org_unit_id, period=p.period,
                       period_kind=ts.period_kind(p.period), direction=target.direction,
                       target_value=p.target_value,
                       sprint_value=p.sprint_value, challenge_value=p.challenge_value, parent=target,
                       created_by=who, updated_by=who)
        child.save()
        created.append(child)
    target.split, target.split_method, target.updated_by = split, method, who
    target.save(update_fields=["split", "split_method", "updated_by", "updated_at"])
    if user is not None and Target.objects.restrict(user, "change").filter(
            pk__in=[c.pk for c in created]).count() != len(created):
        raise PermissionDenied(_("Some parts would lie outside your data scope; nothing was saved."))
    return created


# --- publishing into the scoring -----------------------------------------------------------------------------


def _tier_metric_code(metric: Metric, tier: str) -> str:
    suffix = {"target_value": "_target", "sprint_value": "_sprint", "challenge_value": "_challenge"}[tier]
    return f"{metric.code[:40 - len(suffix)]}{suffix}"


def _tier_metric_name(metric: Metric, tier: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # stored as data, in the default language
        name = {"target_value": _("%(metric)s target value"), "sprint_value": _("%(metric)s sprint value"),
                "challenge_value": _("%(metric)s challenge value")}[tier] % {"metric": metric.name}
    return name[:100]


@transaction.atomic
def tier_metrics_set(*, user: Any | None = None, metric: Metric, target_metric: Metric | None = None,
                     sprint_metric: Metric | None = None, challenge_metric: Metric | None = None,
                     create_missing: bool = False) -> TargetTierMetrics:
    """目标发布设置: the metrics that receive ``metric``'s published targets per tier. With
    ``create_missing`` a metric is created for each tier left empty (code ``<code>_target`` …,
    name "<name>目标值" …, applying to the same subjects, source "published targets")."""
    from .services import metric_create

    _require(user, MODULE_CONFIG)
    chosen = {"target_value": target_metric, "sprint_value": sprint_metric, "challenge_value": challenge_metric}
    fields = {"target_value": "target_metric", "sprint_value": "sprint_metric", "challenge_value": "challenge_metric"}
    if create_missing:
        for tier, current in chosen.items():
            if current is None:
                chosen[tier] = metric_create(
                    user=user, code=_tier_metric_code(metric, tier), name=_tier_metric_name(metric, tier),
                    unit=metric.unit, is_percentage=metric.is_percentage, source=MetricSource.TARGET,
                    subject_types=metric.subject_types,
                    description=str(_("Published targets of “%(metric)s”.") % {"metric": metric.code})[:200])
    errors: dict[str, str] = {}
    if chosen["target_value"] is None:
        errors["target_metric"] = _("Choose the metric of the target value.")
    seen: dict[int, str] = {}
    taken: dict[int, TargetTierMetrics] = {}
    for s in TargetTierMetrics.objects.exclude(metric=metric).select_related("metric"):
        for _tier, m in s.tiers():
            if m is not None:
                taken[m.pk] = s
    for tier, m in chosen.items():
        if m is None:
            continue
        field = fields[tier]
        if m.pk == metric.pk:
            errors[field] = _("A tier's metric must differ from the measured metric.")
        elif m.source == MetricSource.BUILTIN:
            errors[field] = _("“%(metric)s” is computed from platform data and cannot hold targets.") % {
                "metric": m.name}
        elif m.pk in seen:
            errors[field] = _("“%(metric)s” is chosen for two tiers.") % {"metric": m.name}
        elif m.pk in taken:
            errors[field] = _("“%(metric)s” already holds the targets of “%(other)s”.") % {
                "metric": m.name, "other": taken[m.pk].metric.name}
        elif not set(metric.subject_types) <= set(m.subject_types):
            errors[field] = _("“%(metric)s” must apply to the same kinds of subject as “%(measured)s”.") % {
                "metric": m.name, "measured": metric.name}
        seen[m.pk] = tier
    if errors:
        raise ValidationError(errors)
    setting = TargetTierMetrics.objects.filter(metric=metric).first() or TargetTierMetrics(metric=metric)
    setting.target_metric = chosen["target_value"]
    setting.sprint_metric = chosen["sprint_value"]
    setting.challenge_metric = chosen["challenge_value"]
    setting.updated_by = _who(user)
    setting.save()
    return setting


def tier_metrics_published(setting: TargetTierMetrics) -> QuerySet[MetricValue]:
    """The metric values published through ``setting``: its tier metrics' values with source
    "published targets"."""
    tier_ids = [m.pk for _tier, m in setting.tiers() if m is not None]
    return MetricValue.objects.filter(source=MetricSource.TARGET, metric_id__in=tier_ids)


@transaction.atomic
def tier_metrics_delete(*, user: Any | None = None, setting: TargetTierMetrics) -> int:
    """Delete a 目标发布设置. Refused while values published through it exist for a month that has
    been computed (a month with results): those results were scored against them. The values it
    published for months not computed yet go with it — nothing could republish or remove them
    afterwards, and a run would still score against them; removing them needs the "change" grant of
    assessment data over all of them. The tier metrics themselves stay (指标管理 deletes or disables
    them). Answers the number of values removed."""
    _require(user, MODULE_CONFIG)
    setting = TargetTierMetrics.objects.select_for_update(of=("self",)).select_related(
        "metric", "target_metric", "sprint_metric", "challenge_metric").get(pk=setting.pk)
    published = tier_metrics_published(setting)
    months = sorted(set(published.values_list("period", flat=True)))
    computed = sorted(set(Result.objects.filter(period__in=months).values_list("period", flat=True)))
    if computed:
        raise ValidationError(_(
            "Targets of “%(metric)s” were published for months already computed (%(months)s): their results were "
            "scored against them, so the setting cannot be deleted.") % {
            "metric": setting.metric.name, "months": "、".join(computed)})
    ids = list(published.values_list("pk", flat=True))
    if ids and user is not None:
        _require(user, MODULE_DATA)
        if not user.is_superuser and MetricValue.objects.restrict(user, "change").filter(
                pk__in=ids).count() != len(ids):
            raise PermissionDenied(_("Some values published through this setting lie outside your data scope; "
                                     "nothing was deleted."))
    for i in range(0, len(ids), 5000):
        MetricValue.objects.filter(pk__in=ids[i:i + 5000]).delete()
    setting.delete()
    return len(ids)


def published_subject(target: Target, metric: Metric) -> tuple[str, int] | None:
    """The assessment subject a month target is published for: the manager, or the section or
    department itself when the measured metric applies to that kind of subject; ``None`` for other
    units (provinces, cities, counties are not scored; a section has no values of a metric kept
    for managers only)."""
    if target.subject_type == TargetSubjectType.MANAGER:
        return SubjectType.MANAGER.value, target.subject_id
    kind = PUBLISHED_UNIT_KINDS.get(target.org_unit.kind)
    return (kind.value, target.subject_id) if kind and metric.applies_to(kind) else None


@transaction.atomic
def targets_publish(*, user: Any | None = None, period: Any, metric: Metric) -> dict[str, Any]:
    """发布目标: write the month targets of ``metric`` in ``period`` (a month, or every month of a
    quarter or year) of account managers, and of sections and departments when the metric applies to
    them (:func:`published_subject`), as metric values of its tier metrics (source "published targets"), through
    ``metric_values_save`` — the same checks, data scope and calendar as any metric value (metric
    values are not locked; a month already computed keeps its results until it is re-run). The
    values published earlier for subjects that no longer have a target are removed. Idempotent."""
    _require(user, MODULE_TARGETS)
    _require(user, MODULE_DATA)
    period, _kind = check_target_period(period)
    if not isinstance(metric, Metric):
        raise ValidationError({"metric": _("Choose a metric.")})
    setting = TargetTierMetrics.objects.filter(metric=metric).select_related(
        "target_metric", "sprint_metric", "challenge_metric").first()
    if setting is None:
        raise ValidationError({"metric": _("“%(metric)s” has no target metrics: set them under target publishing "
                                           "settings first.") % {"metric": metric.name}})
    months = ts.months_of(period)
    targets = Target.objects.filter(metric=metric, period__in=months)
    if user is not None:
        targets = targets.restrict(user, "change")
    items: list[dict[str, Any]] = []
    labels: list[str] = []
    keys: set[tuple[int, str, int, str]] = set()
    skipped = 0
    for t in targets.select_related("org_unit", "user").order_by("period", "subject_type", "subject_id"):
        subject = published_subject(t, metric)
        if subject is None:
            skipped += 1
            continue
        for tier, tier_metric in setting.tiers():
            value = getattr(t, tier)
            if tier_metric is None or value is None:
                continue
            items.append({"metric": tier_metric, "subject_type": subject[0], "subject": subject[1],
                          "period": t.period, "value": value})
            labels.append(f"{t.subject_name} · {t.period}")
            keys.add((tier_metric.pk, subject[0], subject[1], t.period))
    if items:
        try:
            metric_values_save(user=user, items=items, source=MetricSource.TARGET)
        except BulkValidationError as exc:
            problems = list(dict.fromkeys(f"{labels[i]}: {'；'.join(m for msgs in e.values() for m in msgs)}"
                                          for i, e in enumerate(exc.item_errors) if e))
            raise ValidationError({"period": [_("Nothing was published:"), *problems[:5]]}) from exc
    published = tier_metrics_published(setting).filter(period__in=months)
    if user is not None and not user.is_superuser:
        published = published.restrict(user, "change")
    stale = [pk for pk, m, st, sid, p in published.values_list("pk", "metric_id", "subject_type", "subject_id",
                                                                "period") if (m, st, sid, p) not in keys]
    for i in range(0, len(stale), 5000):
        MetricValue.objects.filter(pk__in=stale[i:i + 5000]).delete()
    computed = sorted(set(Result.objects.filter(period__in=months).values_list("period", flat=True)))
    return {"period": period, "metric": metric.code, "months": months, "written": len(items), "removed": len(stale),
            "skipped": skipped, "computed": computed}


# --- 目标达成 (attainment) -------------------------------------------------------------------------------------

_ACTUAL = DecimalField(max_digits=24, decimal_places=4)


def _total(values: QuerySet) -> Subquery:
    return Subquery(values.values("metric_id").annotate(s=Sum("value")).values("s")[:1], output_field=_ACTUAL)


def with_attainment(queryset: QuerySet[Target], period: str) -> QuerySet[Target]:
    """``queryset`` (targets of ``period``) annotated with ``actual`` and ``tier_reached``.

    The actual is the metric's value for the subject summed over the period's months: an account
    manager's own value; a unit's own value when it is a section or department with one, otherwise
    the sum of the values of the account managers placed in the unit and below. The tier reached:
    挑战 when actual ≥ 挑战, else 冲刺 when ≥ 冲刺, else 目标 when ≥ 目标 (a value exactly on a tier
    reaches it), else 未达标 (also without a value); lower is better: the same with ≤. Computed in
    SQL, so it filters, sorts and pages."""
    months = ts.months_of(period)
    values = MetricValue.objects.filter(metric_id=OuterRef("metric_id"), period__in=months).order_by()
    manager = _total(values.filter(subject_type=SubjectType.MANAGER, subject_id=OuterRef("subject_id")))
    own = _total(values.filter(subject_type=OuterRef("org_unit__kind"), subject_id=OuterRef("subject_id")))
    below = _total(values.filter(subject_type=SubjectType.MANAGER,
                                 org_unit__path__startswith=OuterRef("org_unit__path")))
    actual = Case(When(subject_type=TargetSubjectType.MANAGER, then=manager),
                  default=Coalesce(own, below, output_field=_ACTUAL), output_field=_ACTUAL)
    queryset = queryset.annotate(actual=Round(actual, 4, output_field=_ACTUAL))
    whens = [When(actual__isnull=True, then=Value(TierReached.NONE.value))]
    for direction, op in ((TargetDirection.HIGHER, "gte"), (TargetDirection.LOWER, "lte")):
        whens += [
            When(direction=direction, challenge_value__isnull=False, **{f"actual__{op}": F("challenge_value")},
                 then=Value(TierReached.CHALLENGE.value)),
            When(direction=direction, sprint_value__isnull=False, **{f"actual__{op}": F("sprint_value")},
                 then=Value(TierReached.SPRINT.value)),
            When(direction=direction, **{f"actual__{op}": F("target_value")}, then=Value(TierReached.TARGET.value)),
        ]
    return queryset.annotate(tier_reached=Case(*whens, default=Value(TierReached.NONE.value),
                                               output_field=CharField(max_length=10)))


def attainment(user: Any, period: Any) -> QuerySet[Target]:
    """目标达成 of ``period`` (month, quarter or year) within the user's scope."""
    period, _kind = check_target_period(period)
    qs = Target.objects.restrict(user, "view").filter(period=period)
    return with_attainment(qs.select_related("metric", "org_unit", "user"), period)


def attainment_pct(actual: Decimal | None, tier: Decimal | None, direction: str = TargetDirection.HIGHER
                   ) -> Decimal | None:
    """Attainment % of a tier, half-up to 2 decimals: actual ÷ tier × 100 (higher is better), tier ÷
    actual × 100 (lower is better) — 100 exactly on the tier, above 100 beyond it. ``None`` without a
    value or a tier, and when the divisor is 0: a tier of 0 (higher is better), an actual of 0 (lower
    is better: 0 ÷ 0 is 100, otherwise every tier is reached with no ratio — see
    :func:`attainment_text`)."""
    if actual is None or tier is None:
        return None
    actual, tier = Decimal(actual), Decimal(tier)
    if direction == TargetDirection.LOWER:
        if not actual:
            return Decimal("100.00") if not tier else None
        ratio = tier * 100 / actual
    else:
        if not tier:
            return None
        ratio = actual * 100 / tier
    return ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def attainment_text(actual: Decimal | None, tier: Decimal | None, direction: str = TargetDirection.HIGHER) -> str:
    """The attainment % as shown on pages: "120.00%", "—" without one, and "100%+" when lower is
    better and the actual is 0 below a positive tier (reached, beyond any ratio)."""
    pct = attainment_pct(actual, tier, direction)
    if pct is not None:
        return f"{pct}%"
    if direction == TargetDirection.LOWER and actual is not None and not Decimal(actual) and tier:
        return "100%+"
    return "—"


def tier_label(code: str | None) -> str:
    try:
        return str(TierReached(code or TierReached.NONE).label)
    except ValueError:
        return str(code)


def children_sums(target: Target, children: list[Target]) -> list[dict[str, Any]]:
    """Per tier: the whole, the sum of its parts and whether they match (for the detail page)."""
    rows = []
    for field in TIER_FIELDS:
        whole = getattr(target, field)
        parts = [getattr(c, field) for c in children]
        total = None if any(p is None for p in parts) else sum(parts, Decimal(0))
        rows.append({"label": TIER_LABELS[field], "whole": whole, "sum": total,
                     "matches": whole == total if whole is not None else total is None or not children})
    return rows
