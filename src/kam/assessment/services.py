"""Writes of performance assessment. Pages, the API, imports and jobs all call these.

The calendar (:mod:`kam.assessment.calendar`) is enforced here, on the server, whatever the
channel: R-ASM-5 config lock, R-ASM-3 template validity, R-ASM-4 one template per subject and
month, R-ASM-6 adjustment window, and the computation rules (see :func:`run_start`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from kam.core import clock
from kam.core.querysets import check_in_scope
from kam.org.models import OrgUnit, User
from kam.org.permissions import has_perm

from . import calendar as cal
from . import kernel
from .messages import interval_message, rate_message, weight_message
from .models import (
    MODULE_CONFIG,
    MODULE_DATA,
    MODULE_RESULTS,
    MODULE_RUN,
    PERIOD_VALIDATOR,
    Adjustment,
    AssessmentNote,
    AssessmentRun,
    Assignment,
    AtomicIndicator,
    Bonus,
    Indicator,
    IndicatorComponent,
    Metric,
    MetricSource,
    MetricValue,
    MissingPolicy,
    Result,
    ResultStatus,
    RunStatus,
    RunTrigger,
    ScoreDetail,
    ScoreInterval,
    ScoringMode,
    SubjectType,
    Template,
    TemplateComponent,
    VetoRule,
)

MANAGER_ROLE = "account_manager"
REPORT_LIST_CAP = 200  # subjects listed per problem in a missing-data report


# --- shared checks ----------------------------------------------------------------------------------


def _require(user: Any | None, module: str, action: str = "change") -> None:
    if user is not None and not has_perm(user, module, action):
        raise PermissionDenied(_("You have no permission for this action."))


def check_period(period: str, field: str = "period") -> str:
    try:
        PERIOD_VALIDATOR(period or "")
    except ValidationError:
        raise ValidationError({field: _("Enter a month as YYYY-MM, e.g. 2026-03.")}) from None
    return period


def check_config_unlocked(day: dt.date | None = None) -> None:
    """R-ASM-5: days 1–5 of every month lock the assessment configuration."""
    if cal.config_locked(day):
        raise ValidationError(
            _("The assessment configuration is locked from day %(first)s to day %(last)s of every month: "
              "no indicator, template or assignment can be created or changed today.")
            % {"first": cal.param("assessment.lock_first_day"), "last": cal.param("assessment.lock_last_day")}
        )


def _decimal(value: Any, field: str, label: str) -> Decimal:
    d = kernel.to_decimal(str(value) if isinstance(value, float) else value)
    if d is None:
        raise ValidationError({field: _("%(label)s: “%(value)s” is not a number.") % {"label": label, "value": value}})
    return d


def resolve_subject(subject_type: str, subject_id: int) -> tuple[User | None, OrgUnit]:
    """The user (for an account manager) and the org unit of a subject; a clear error otherwise."""
    if subject_type == SubjectType.MANAGER:
        user = User.objects.select_related("org_unit").filter(pk=subject_id).first()
        if user is None or not user.roles.filter(code=MANAGER_ROLE).exists():
            raise ValidationError({"subject": _("%(id)s is not an account manager.") % {"id": subject_id}})
        if user.org_unit is None:
            raise ValidationError({"subject": _("The account manager belongs to no organisation unit.")})
        return user, user.org_unit
    if subject_type in (SubjectType.SECTION, SubjectType.DEPARTMENT):
        unit = OrgUnit.objects.filter(pk=subject_id, kind=subject_type).first()
        if unit is None:
            label = _("section") if subject_type == SubjectType.SECTION else _("department")
            raise ValidationError({"subject": _("%(id)s is not a %(kind)s.") % {"id": subject_id, "kind": label}})
        return None, unit
    raise ValidationError({"subject_type": _("Unknown subject type “%(type)s”.") % {"type": subject_type}})


def _manager_assignable(user: User) -> bool:
    if not user.is_active:
        return False
    profile = getattr(user, "manager_profile", None)
    return profile is None or getattr(profile, "status", "enabled") == "enabled"


# --- metrics --------------------------------------------------------------------------------------------

_METRIC_FIELDS = ("code", "name", "unit", "is_percentage", "source", "for_manager", "for_section",
                  "for_department", "description", "enabled")


def _metric_apply(metric: Metric, fields: dict[str, Any]) -> Metric:
    subject_types = fields.pop("subject_types", None)
    if subject_types is not None:
        fields["for_manager"] = SubjectType.MANAGER in subject_types
        fields["for_section"] = SubjectType.SECTION in subject_types
        fields["for_department"] = SubjectType.DEPARTMENT in subject_types
    for key, value in fields.items():
        if key not in _METRIC_FIELDS:
            raise ValidationError({key: _("Unknown field.")})
        setattr(metric, key, value)
    if not (metric.for_manager or metric.for_section or metric.for_department):
        raise ValidationError({"subject_types": _("Choose at least one kind of subject the metric applies to.")})
    metric.full_clean()
    metric.save()
    return metric


# A built-in metric (computed from the platform's data) may only be switched on or off and described.
_BUILTIN_EDITABLE = ("description", "enabled")


@transaction.atomic
def metric_create(*, user: Any | None = None, **fields: Any) -> Metric:
    _require(user, MODULE_CONFIG)
    if fields.get("source") == MetricSource.BUILTIN:
        raise ValidationError({"source": _("Metrics from platform data are registered by the platform itself.")})
    return _metric_apply(Metric(), fields)


@transaction.atomic
def metric_update(*, user: Any | None = None, metric: Metric, **fields: Any) -> Metric:
    _require(user, MODULE_CONFIG)
    if metric.source == MetricSource.BUILTIN:
        fixed = {f: fields.pop(f) for f in list(fields) if f not in _BUILTIN_EDITABLE}
        current = {"subject_types": metric.subject_types,
                   **{f: getattr(metric, f) for f in _METRIC_FIELDS}}
        changed = [f for f, v in fixed.items() if f in current and v != current[f]]
        if changed:
            raise ValidationError({changed[0]: _(
                "The metric is computed from platform data: only its description and whether it is enabled "
                "can be changed.")})
    elif fields.get("source") == MetricSource.BUILTIN:
        raise ValidationError({"source": _("Metrics from platform data are registered by the platform itself.")})
    return _metric_apply(metric, fields)


@transaction.atomic
def metric_delete(*, user: Any | None = None, metric: Metric) -> None:
    _require(user, MODULE_CONFIG)
    if metric.source == MetricSource.BUILTIN:
        raise ValidationError(_("The metric is computed from platform data and cannot be deleted; disable it "
                                "instead."))
    if metric.atomics.exists() or metric.values.exists():
        raise ValidationError(_("The metric is used by atomic indicators or has values; disable it instead."))
    metric.delete()


# --- built-in metrics (computed from the platform's own data) ---------------------------------------------


def builtin_metrics_sync() -> list[Metric]:
    """One ``Metric`` row with ``source = builtin`` per registered built-in metric
    (:data:`kam.core.registry.BUILTIN_METRICS`), keyed by code: created when new, name, unit and
    percentage kept up to date, ``enabled`` and ``description`` left as the administrator set
    them. Idempotent; called after ``migrate`` and at the start of every computation run."""
    from django.conf import settings
    from django.utils import translation

    from kam.core.registry import BUILTIN_METRICS

    if not BUILTIN_METRICS:
        return []
    existing = {m.code: m for m in Metric.objects.filter(code__in=list(BUILTIN_METRICS))}
    synced = []
    with translation.override(settings.LANGUAGE_CODE):  # stored as data, in the default language
        for code, spec in BUILTIN_METRICS.items():
            name, unit = str(spec.name)[:100], str(spec.unit or "")[:20]
            taken = Metric.objects.filter(name=name).exclude(code=code).exists()
            if taken:
                name = f"{name[:100 - len(code) - 3]} ({code})"
            metric = existing.get(code) or Metric(code=code, for_manager=True, enabled=True)
            wanted = {"name": name, "unit": unit, "is_percentage": bool(spec.is_percentage),
                      "source": MetricSource.BUILTIN, "for_manager": True}
            if metric.pk is None or any(getattr(metric, f) != v for f, v in wanted.items()):
                for f, v in wanted.items():
                    setattr(metric, f, v)
                metric.save()
            synced.append(metric)
    return synced


def builtin_values_store(period: str) -> dict[str, int]:
    """Store every enabled built-in metric's ``compute(period)`` as the month's metric values.

    Set-based: per metric one ``compute`` call, one read of the managers' org units, one
    ``DELETE`` of the month's previous values and one bulk insert. Values are kept to 4 decimals
    (half-up) like entered ones; ids that are not users are skipped. Returns ``{code: count}``.
    """
    from django.db import connection

    from kam.core.registry import BUILTIN_METRICS

    check_period(period)
    counts: dict[str, int] = {}
    metrics = {m.code: m for m in builtin_metrics_sync() if m.enabled}
    table = connection.ops.quote_name(MetricValue._meta.db_table)
    quantum = Decimal("0.0001")
    for code, metric in metrics.items():
        computed = BUILTIN_METRICS[code].compute(period) or {}
        places = dict(User.objects.filter(pk__in=list(computed)).values_list("id", "org_unit_id")) if computed else {}
        now = clock.now()
        rows = []
        for uid, raw in computed.items():
            if uid not in places or raw is None:
                continue
            value = raw if isinstance(raw, Decimal) else _as_decimal(raw)
            rows.append((metric.pk, SubjectType.MANAGER.value, uid, uid, places[uid], period,
                         value.quantize(quantum, rounding="ROUND_HALF_UP"), MetricSource.BUILTIN.value, now))
        with connection.cursor() as cursor:
            # (all three columns of the month index: the delete never walks the month's other values)
            cursor.execute(f"DELETE FROM {table} WHERE period = %s AND subject_type = %s AND metric_id = %s",
                           [period, SubjectType.MANAGER.value, metric.pk])
        _fast_insert(MetricValue, ("metric_id", "subject_type", "subject_id", "user_id", "org_unit_id", "period",
                                   "value", "source", "updated_at"), sorted(rows, key=lambda r: r[2]))
        counts[code] = len(rows)
    return counts


@transaction.atomic
def builtin_values_refresh(*, user: Any | None = None, period: str) -> dict[str, int]:
    """刷新平台数据指标值: recompute the built-in metrics of month ``period`` now (a computation
    run does the same before scoring). Needs ``assessment_data`` change on every subject: the
    values of all managers are replaced, so the data scope must be the whole company."""
    _require(user, MODULE_DATA)
    check_period(period)
    counts = builtin_values_store(period)
    if user is not None and not user.is_superuser:
        written = MetricValue.objects.filter(period=period, source=MetricSource.BUILTIN)
        if written.count() != written.restrict(user, "change").count():
            raise PermissionDenied(_("Some rows are outside your data scope; nothing was saved."))
    return counts


# --- metric values ----------------------------------------------------------------------------------------


class BulkValidationError(ValidationError):
    """All-or-nothing refusal of a list: ``item_errors[i]`` is ``{field: [messages]}`` or ``{}``."""

    def __init__(self, item_errors: list[dict[str, list[str]]]):
        self.item_errors = item_errors
        bad = sum(1 for e in item_errors if e)
        super().__init__(_("%(bad)s of %(total)s rows have errors; nothing was saved.") % {
            "bad": bad, "total": len(item_errors)})


def metric_values_save(*, user: Any | None = None, items: Sequence[dict[str, Any]],
                       source: str = MetricSource.MANUAL) -> int:
    """Create or replace metric values, all or nothing.

    ``items``: ``{"metric": code or Metric, "subject_type", "subject": id, "period": "YYYY-MM",
    "value"}``. Every item is checked (metric known and applying to the subject type, subject
    exists, month, number, percentages 0–100, the user's data scope) and every error is reported
    with its row; one bad row saves nothing. Set-based: a handful of queries whatever the size.
    """
    _require(user, MODULE_DATA)
    errors: list[dict[str, list[str]]] = [{} for _ in items]
    codes = {i.get("metric").code if isinstance(i.get("metric"), Metric) else str(i.get("metric") or "")
             for i in items}
    metrics = {m.code: m for m in Metric.objects.filter(code__in=codes)}
    user_ids = {i.get("subject") for i in items if i.get("subject_type", SubjectType.MANAGER) == SubjectType.MANAGER}
    unit_ids = {i.get("subject") for i in items if i.get("subject_type") in (SubjectType.SECTION,
                                                                                SubjectType.DEPARTMENT)}
    managers = {u.pk: u for u in User.objects.filter(pk__in=[x for x in user_ids if isinstance(x, int)],
                                                     roles__code=MANAGER_ROLE).distinct()}
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=[x for x in unit_ids if isinstance(x, int)])}
    rows: list[tuple[Metric, str, int, int | None, int | None, str, Decimal]] = []
    seen: dict[tuple, int] = {}

    def err(i: int, field: str, msg: str) -> None:
        errors[i].setdefault(field, []).append(msg)

    for i, item in enumerate(items):
        raw_metric = item.get("metric")
        code = raw_metric.code if isinstance(raw_metric, Metric) else str(raw_metric or "")
        metric = metrics.get(code)
        stype = item.get("subject_type") or SubjectType.MANAGER
        subject = item.get("subject")
        period = str(item.get("period") or "")
        if metric is None:
            err(i, "metric", _("Unknown metric “%(code)s”.") % {"code": code})
        elif not metric.enabled:
            err(i, "metric", _("The metric “%(code)s” is disabled.") % {"code": code})
        elif not metric.applies_to(stype):
            err(i, "subject_type", _("The metric “%(code)s” does not apply to this kind of subject.") % {"code": code})
        user_obj, unit = None, None
        if stype not in SubjectType.values:
            err(i, "subject_type", _("Unknown subject type “%(type)s”.") % {"type": stype})
        elif not isinstance(subject, int) or isinstance(subject, bool):
            err(i, "subject", _("Give the subject's id as a number."))
        elif stype == SubjectType.MANAGER:
            user_obj = managers.get(subject)
            if user_obj is None:
                err(i, "subject", _("%(id)s is not an account manager.") % {"id": subject})
            else:
                unit = user_obj.org_unit
        else:
            unit = units.get(subject)
            if unit is None or unit.kind != stype:
                err(i, "subject", _("%(id)s is not a %(kind)s.") % {
                    "id": subject, "kind": SubjectType(stype).label})
        try:
            PERIOD_VALIDATOR(period)
        except ValidationError:
            err(i, "period", _("Enter a month as YYYY-MM, e.g. 2026-03."))
        raw_value = item.get("value")
        value = kernel.to_decimal(raw_value)
        if value is None:
            err(i, "value", _("“%(value)s” is not a number.") % {"value": raw_value})
        else:
            if kernel.decimals_of(value) > 4:
                err(i, "value", _("At most 4 decimals."))
            if abs(value) >= Decimal(10) ** 16:
                err(i, "value", _("The number is too large."))
            if metric is not None and metric.is_percentage and not (0 <= value <= 100):
                err(i, "value", _("A percentage is entered without %, from 0 to 100."))
        if errors[i]:
            continue
        key = (metric.code, stype, subject, period)
        if key in seen:
            err(i, "subject", _("Same metric, subject and month as row %(row)s.") % {"row": seen[key] + 1})
            continue
        seen[key] = i
        rows.append((metric, stype, subject, user_obj.pk if user_obj else None, unit.pk if unit else None,
                     period, value))
    if any(errors):
        raise BulkValidationError(errors)
    with transaction.atomic():
        existing = {}
        if rows:
            q = Q()
            for period in {r[5] for r in rows}:
                q |= Q(period=period)
            for mv in MetricValue.objects.filter(q, metric__in={r[0].pk for r in rows}).only(
                    "id", "metric_id", "subject_type", "subject_id", "period"):
                existing[(mv.metric_id, mv.subject_type, mv.subject_id, mv.period)] = mv
        creates, updates = [], []
        who = user if getattr(user, "pk", None) else None
        for metric, stype, subject, user_id, unit_id, period, value in rows:
            mv = existing.get((metric.pk, stype, subject, period))
            if mv is None:
                creates.append(MetricValue(metric=metric, subject_type=stype, subject_id=subject, user_id=user_id,
                                           org_unit_id=unit_id, period=period, value=value, source=source,
                                           updated_by=who, updated_at=clock.now()))
            else:
                mv.value, mv.source, mv.user_id, mv.org_unit_id, mv.updated_by = value, source, user_id, unit_id, who
                mv.updated_at = clock.now()
                updates.append(mv)
        MetricValue.objects.bulk_create(creates, batch_size=2000)
        MetricValue.objects.bulk_update(updates, ["value", "source", "user", "org_unit", "updated_by", "updated_at"],
                                        batch_size=2000)
        if user is not None and not user.is_superuser:
            # The data scope: every written row must lie in the user's scope for "change".
            ids = [mv.pk for mv in creates] + [mv.pk for mv in updates]  # bulk inserts return ids
            allowed = MetricValue.objects.restrict(user, "change")
            inside = sum(allowed.filter(pk__in=ids[i:i + 5000]).count() for i in range(0, len(ids), 5000))
            if inside != len(ids):
                raise PermissionDenied(_("Some rows are outside your data scope; nothing was saved."))
    return len(rows)


# --- atomic indicators (R-ASM-1) ------------------------------------------------------------------------------


def validate_intervals(rows: Sequence[dict[str, Any]], domain: kernel.Interval = kernel.UNBOUNDED
                       ) -> list[kernel.Interval]:
    """R-ASM-1 over the user's rows; a ``ValidationError`` on ``intervals`` naming each interval."""
    parsed, problems = kernel.validate_intervals_raw(rows, domain)
    if problems:
        raise ValidationError({"intervals": [interval_message(p) for p in problems]})
    return parsed


_ATOMIC_FIELDS = ("name", "metric", "mode", "target_metric", "missing_policy", "domain_lower",
                  "domain_lower_closed", "domain_upper", "domain_upper_closed", "full_score", "score_floor",
                  "score_cap", "deduction_per_unit", "description", "enabled")
_RATE_FIELDS = ("full_score", "score_floor", "score_cap")  # in the order of kernel.validate_rate's positions
_DEDUCTION_FIELDS = ("full_score", "deduction_per_unit", "score_floor")  # kernel.validate_deduction's positions


def _atomic_save(atomic: AtomicIndicator, fields: dict[str, Any], intervals: Sequence[dict[str, Any]] | None
                 ) -> AtomicIndicator:
    for key, value in fields.items():
        if key not in _ATOMIC_FIELDS:
            raise ValidationError({key: _("Unknown field.")})
        setattr(atomic, key, value)
    if atomic.mode in (ScoringMode.ATTAINMENT, ScoringMode.RATE) and atomic.target_metric_id is None:
        raise ValidationError({"target_metric": _("The completion rate needs the metric holding the targets.")})
    if atomic.mode in (ScoringMode.INTERVAL, ScoringMode.DEDUCTION):
        atomic.target_metric = None
    if atomic.mode == ScoringMode.RATE:
        return _atomic_save_rule(atomic, _RATE_FIELDS, kernel.validate_rate)
    if atomic.mode == ScoringMode.DEDUCTION:
        return _atomic_save_rule(atomic, _DEDUCTION_FIELDS, kernel.validate_deduction)
    for end in ("domain_lower", "domain_upper"):
        bound = getattr(atomic, end)
        if bound is not None and not kernel.has_at_most_2_decimals(Decimal(bound)):
            raise ValidationError({end: _("At most 2 decimals.")})
    if intervals is None:
        intervals = [{"lower": iv.lower, "lower_closed": iv.lower_closed, "upper": iv.upper,
                      "upper_closed": iv.upper_closed, "score": iv.score} for iv in atomic.intervals.all()]
    domain = kernel.make_interval(atomic.domain_lower, atomic.domain_lower_closed, atomic.domain_upper,
                                  atomic.domain_upper_closed, 0)
    parsed = validate_intervals(intervals, domain)
    atomic.full_clean()
    atomic.save()
    atomic.intervals.all().delete()
    ScoreInterval.objects.bulk_create(
        ScoreInterval(atomic=atomic, position=pos, lower=iv.lower, lower_closed=iv.lower_closed, upper=iv.upper,
                      upper_closed=iv.upper_closed, score=iv.score)
        for pos, iv in enumerate(parsed, 1)
    )
    return atomic


def _atomic_save_rule(atomic: AtomicIndicator, names: tuple[str, ...], validate: Any) -> AtomicIndicator:
    """A completion rate with floor and cap (保底/封顶) or a deduction (扣分): a rule of three
    numbers (``names``, checked by the kernel's ``validate``), no intervals, no domain."""
    raw = [getattr(atomic, f) for f in names]
    problems = validate(*(str(v) if isinstance(v, (int, Decimal)) else v for v in raw))
    if problems:
        errors: dict[str, list[str]] = defaultdict(list)
        for p in problems:
            errors[names[p.position - 1]].append(rate_message(p))
        raise ValidationError(dict(errors))
    for f, v in zip(names, raw, strict=True):
        setattr(atomic, f, Decimal(str(v)).quantize(kernel.CENT))
    atomic.domain_lower = atomic.domain_upper = None
    atomic.full_clean()
    atomic.save()
    atomic.intervals.all().delete()
    return atomic


@transaction.atomic
def atomic_indicator_create(*, user: Any | None = None, intervals: Sequence[dict[str, Any]] = (), **fields: Any
                            ) -> AtomicIndicator:
    """原子指标 with its score intervals, listed ascending or descending (R-ASM-1)."""
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    return _atomic_save(AtomicIndicator(), fields, intervals)


@transaction.atomic
def atomic_indicator_update(*, user: Any | None = None, atomic: AtomicIndicator,
                            intervals: Sequence[dict[str, Any]] | None = None, **fields: Any) -> AtomicIndicator:
    """Change an atomic indicator; ``intervals`` (when given) replace all its intervals."""
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    return _atomic_save(atomic, fields, intervals)


@transaction.atomic
def atomic_indicator_delete(*, user: Any | None = None, atomic: AtomicIndicator) -> None:
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    if atomic.uses.exists():
        raise ValidationError(_("The atomic indicator is used by an assessment indicator; remove it there first."))
    veto = atomic.vetoes.select_related("template").first()
    if veto is not None:
        raise ValidationError(_("The atomic indicator is a veto item of the template “%(template)s”; remove it "
                                "there first.") % {"template": veto.template.name})
    ScoreDetail.objects.filter(atomic_id=atomic.pk).update(atomic=None)  # past details keep the name
    atomic.delete()


# --- weighted compositions (R-ASM-2) -------------------------------------------------------------------------


def validate_weights(weights: Sequence[Any], what: str) -> list[Decimal]:
    problems = kernel.validate_weights(list(weights))
    if problems:
        raise ValidationError({"components": [weight_message(p, what) for p in problems]})
    return [Decimal(str(w)) if not isinstance(w, Decimal) else w for w in weights]


def _components(rows: Sequence[dict[str, Any]], key: str, what: str) -> list[tuple[Any, Decimal]]:
    items = [r[key] for r in rows]
    if len({getattr(i, "pk", i) for i in items}) != len(items):
        raise ValidationError({"components": _("Each %(what)s may appear only once.") % {"what": what}})
    weights = validate_weights([r.get("weight") for r in rows], what)
    return list(zip(items, weights, strict=True))


@transaction.atomic
def indicator_create(*, user: Any | None = None, name: str, components: Sequence[dict[str, Any]],
                     description: str = "", enabled: bool = True) -> Indicator:
    """考核指标: ``components`` = ``[{"atomic": AtomicIndicator, "weight": "0.5"}, …]``."""
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    indicator = Indicator(name=name, description=description, enabled=enabled)
    return _indicator_save(indicator, components)


def _indicator_save(indicator: Indicator, components: Sequence[dict[str, Any]] | None) -> Indicator:
    pairs = _components(components, "atomic", str(_("atomic indicator"))) if components is not None else None
    indicator.full_clean()
    indicator.save()
    if pairs is not None:
        indicator.components.all().delete()
        IndicatorComponent.objects.bulk_create(
            IndicatorComponent(indicator=indicator, atomic=a, weight=w, position=i) for i, (a, w) in enumerate(pairs, 1)
        )
    return indicator


@transaction.atomic
def indicator_update(*, user: Any | None = None, indicator: Indicator,
                     components: Sequence[dict[str, Any]] | None = None, **fields: Any) -> Indicator:
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    for key, value in fields.items():
        if key not in ("name", "description", "enabled"):
            raise ValidationError({key: _("Unknown field.")})
        setattr(indicator, key, value)
    return _indicator_save(indicator, components)


@transaction.atomic
def indicator_delete(*, user: Any | None = None, indicator: Indicator) -> None:
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    if indicator.uses.exists():
        raise ValidationError(_("The assessment indicator is used by a template; remove it there first."))
    ScoreDetail.objects.filter(indicator_id=indicator.pk).update(indicator=None)  # past details keep the name
    indicator.delete()


def template_validity_warning(template: Template) -> str:
    """R-ASM-3: a warning when the template cannot be used for the month it starts in, because it
    is no longer valid on that month's computation day (the 7th of the next month)."""
    first = cal.month_of(template.valid_from)
    if cal.template_usable(template.valid_from, template.valid_to, first):
        return ""
    return _("The results of month %(month)s are computed on %(day)s, when this template is no longer valid. "
             "Set “valid to” to %(suggested)s (the end of the next month) to use it for %(month)s.") % {
        "month": first, "day": cal.compute_date(first).isoformat(),
        "suggested": cal.suggested_valid_to(first).isoformat(),
    }


def _veto_rows(rows: Sequence[dict[str, Any]]) -> list[tuple[AtomicIndicator, Decimal, Decimal]]:
    """Veto items (一票否决) as given: ``[{"atomic": AtomicIndicator, "threshold": "1", "total": "0"}, …]``
    (``total`` defaults to 0); a ``ValidationError`` on ``vetoes`` naming the row."""
    errors: list[str] = []
    parsed: list[tuple[AtomicIndicator, Decimal, Decimal]] = []
    seen: set[int] = set()
    for n, row in enumerate(rows, 1):
        atomic = row.get("atomic")
        threshold = row.get("threshold")
        total = row.get("total")
        total = "0" if total in (None, "") else total
        if not isinstance(atomic, AtomicIndicator):
            errors.append(_("Veto item %(n)s: choose an atomic indicator.") % {"n": n})
            continue
        if atomic.pk in seen:
            errors.append(_("Veto item %(n)s: “%(name)s” is listed twice.") % {"n": n, "name": atomic.name})
            continue
        seen.add(atomic.pk)
        threshold = str(threshold) if isinstance(threshold, (int, Decimal)) else (threshold or "")
        total = str(total) if isinstance(total, (int, Decimal)) else total
        problems = kernel.validate_veto(threshold, total)
        if problems:
            errors.extend(_("Veto item %(n)s: %(problem)s") % {"n": n, "problem": rate_message(p)} for p in problems)
            continue
        parsed.append((atomic, Decimal(threshold.strip()), Decimal(total.strip())))
    if errors:
        raise ValidationError({"vetoes": errors})
    return parsed


def _template_save(template: Template, components: Sequence[dict[str, Any]] | None,
                   vetoes: Sequence[dict[str, Any]] | None = None) -> Template:
    if template.valid_to is not None and template.valid_to < template.valid_from:
        raise ValidationError({"valid_to": _("“Valid to” must not be before “valid from”.")})
    pairs = _components(components, "indicator", str(_("assessment indicator"))) if components is not None else None
    veto_rules = _veto_rows(vetoes) if vetoes is not None else None
    template.full_clean()
    template.save()
    if veto_rules is not None:
        template.vetoes.all().delete()
        VetoRule.objects.bulk_create(
            VetoRule(template=template, atomic=a, threshold=t, total=v, position=i)
            for i, (a, t, v) in enumerate(veto_rules, 1)
        )
    if pairs is not None:
        template.components.all().delete()
        TemplateComponent.objects.bulk_create(
            TemplateComponent(template=template, indicator=ind, weight=w, position=i)
            for i, (ind, w) in enumerate(pairs, 1)
        )
    # Assignments already made must stay valid (R-ASM-3).
    for a in template.assignments.all():
        _check_template_months(template, a.month_from, a.month_to, field="valid_to")
    return template


@transaction.atomic
def template_create(*, user: Any | None = None, name: str, valid_from: dt.date, valid_to: dt.date | None,
                    components: Sequence[dict[str, Any]], subject_type: str = SubjectType.MANAGER,
                    description: str = "", enabled: bool = True,
                    vetoes: Sequence[dict[str, Any]] = ()) -> Template:
    """考核模板: ``components`` = ``[{"indicator": Indicator, "weight": "0.6"}, …]``; ``vetoes`` =
    veto items (一票否决) outside the weights, ``[{"atomic": AtomicIndicator, "threshold": "1",
    "total": "0"}, …]``; see :func:`template_validity_warning` for R-ASM-3."""
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    template = Template(name=name, valid_from=valid_from, valid_to=valid_to, subject_type=subject_type,
                        description=description, enabled=enabled)
    return _template_save(template, components, vetoes)


@transaction.atomic
def template_update(*, user: Any | None = None, template: Template,
                    components: Sequence[dict[str, Any]] | None = None,
                    vetoes: Sequence[dict[str, Any]] | None = None, **fields: Any) -> Template:
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    for key, value in fields.items():
        if key not in ("name", "valid_from", "valid_to", "subject_type", "description", "enabled"):
            raise ValidationError({key: _("Unknown field.")})
        setattr(template, key, value)
    if "subject_type" in fields and template.assignments.exclude(subject_type=template.subject_type).exists():
        raise ValidationError({"subject_type": _("The template is assigned to subjects of another kind.")})
    return _template_save(template, components, vetoes)


@transaction.atomic
def template_delete(*, user: Any | None = None, template: Template) -> None:
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    if template.assignments.exists():
        raise ValidationError(_("The template is assigned; remove the assignments first."))
    template.delete()


# --- assignments (R-ASM-3, R-ASM-4) ----------------------------------------------------------------------------


def _check_template_months(template: Template, month_from: str, month_to: str, field: str = "template") -> None:
    for period in filter(None, (month_from, month_to)):
        if not cal.template_usable(template.valid_from, template.valid_to, period):
            raise ValidationError({field: _(
                "The template “%(name)s” is not valid for month %(month)s: it must be valid during the month "
                "and until the computation day %(day)s (suggested “valid to”: %(suggested)s).") % {
                "name": template.name, "month": period, "day": cal.compute_date(period).isoformat(),
                "suggested": cal.suggested_valid_to(period).isoformat()}})


def _assignment_save(assignment: Assignment, *, user: Any | None) -> Assignment:
    template = assignment.template
    check_period(assignment.month_from, "month_from")
    if assignment.month_to:
        check_period(assignment.month_to, "month_to")
        if assignment.month_to < assignment.month_from:
            raise ValidationError({"month_to": _("The last month must not be before the first month.")})
    if not template.enabled:
        raise ValidationError({"template": _("The template is disabled.")})
    if template.subject_type != assignment.subject_type:
        raise ValidationError({"template": _("The template is for another kind of subject.")})
    subject_user, unit = resolve_subject(assignment.subject_type, assignment.subject_id)
    if subject_user is not None and not _manager_assignable(subject_user):
        raise ValidationError({"subject": _("The account manager is disabled and gets no new template.")})
    assignment.user, assignment.org_unit = subject_user, unit
    _check_template_months(template, assignment.month_from, assignment.month_to)
    # R-ASM-4: one template per subject and month — no two assignments may share a month.
    others = Assignment.objects.select_for_update().filter(
        subject_type=assignment.subject_type, subject_id=assignment.subject_id,
    ).exclude(pk=assignment.pk)
    end = assignment.month_to or "9999-12"
    clash = others.filter(month_from__lte=end).filter(Q(month_to="") | Q(month_to__gte=assignment.month_from)).first()
    if clash is not None:
        raise ValidationError({"month_from": _(
            "%(subject)s already has the template “%(template)s” from %(from)s to %(to)s: a subject has exactly "
            "one template in a month.") % {"subject": assignment.subject_name, "template": clash.template.name,
                                          "from": clash.month_from, "to": clash.month_to or "…"}})
    assignment.full_clean()
    assignment.save()
    if user is not None:
        check_in_scope(user, assignment, "change")
    return assignment


@transaction.atomic
def assignment_create(*, user: Any | None = None, template: Template, subject_id: int, month_from: str,
                      month_to: str = "", subject_type: str | None = None) -> Assignment:
    """分配模板: give a subject a template from ``month_from`` to ``month_to`` (empty: open)."""
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    assignment = Assignment(template=template, subject_type=subject_type or template.subject_type,
                            subject_id=subject_id, month_from=month_from, month_to=month_to or "",
                            created_by=user if getattr(user, "pk", None) else None)
    return _assignment_save(assignment, user=user)


@transaction.atomic
def assignment_update(*, user: Any | None = None, assignment: Assignment, **fields: Any) -> Assignment:
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    if user is not None:
        check_in_scope(user, assignment, "change")
    for key, value in fields.items():
        if key not in ("template", "subject_id", "subject_type", "month_from", "month_to"):
            raise ValidationError({key: _("Unknown field.")})
        setattr(assignment, key, value if value is not None or key != "month_to" else "")
    return _assignment_save(assignment, user=user)


@transaction.atomic
def assignment_delete(*, user: Any | None = None, assignment: Assignment) -> None:
    _require(user, MODULE_CONFIG)
    check_config_unlocked()
    if user is not None:
        check_in_scope(user, assignment, "change")
    assignment.delete()


# --- computation ---------------------------------------------------------------------------------------------------


def _dec(value: Any) -> str | None:
    return None if value is None else str(value)


def build_config(period: str) -> dict[str, Any]:
    """The configuration month ``period`` is computed with, as JSON: the assignments in force,
    their templates with indicators, atomic indicators and intervals (a handful of queries)."""
    assignments = list(
        Assignment.objects.filter(month_from__lte=period).filter(Q(month_to="") | Q(month_to__gte=period))
        .order_by("subject_type", "subject_id", "id")
        .values_list("subject_type", "subject_id", "template_id", "id")
    )
    template_ids = {a[2] for a in assignments}
    templates = {t.pk: t for t in Template.objects.filter(pk__in=template_ids)}
    tcomps = defaultdict(list)
    for tc in TemplateComponent.objects.filter(template_id__in=template_ids).order_by("template_id", "position"):
        tcomps[tc.template_id].append(tc)
    indicator_ids = {tc.indicator_id for comps in tcomps.values() for tc in comps}
    indicators = {i.pk: i for i in Indicator.objects.filter(pk__in=indicator_ids)}
    icomps = defaultdict(list)
    for ic in IndicatorComponent.objects.filter(indicator_id__in=indicator_ids).order_by("indicator_id", "position"):
        icomps[ic.indicator_id].append(ic)
    vetoes = defaultdict(list)
    for v in VetoRule.objects.filter(template_id__in=template_ids).order_by("template_id", "position"):
        vetoes[v.template_id].append(v)
    atomic_ids = {ic.atomic_id for comps in icomps.values() for ic in comps} | {
        v.atomic_id for rules in vetoes.values() for v in rules}
    atomics = {a.pk: a for a in AtomicIndicator.objects.filter(pk__in=atomic_ids).select_related(
        "metric", "target_metric")}
    intervals = defaultdict(list)
    for iv in ScoreInterval.objects.filter(atomic_id__in=atomic_ids).order_by("atomic_id", "position"):
        intervals[iv.atomic_id].append([_dec(iv.lower), iv.lower_closed, _dec(iv.upper), iv.upper_closed,
                                        _dec(iv.score)])
    # Subjects: place and name at computation time.
    user_ids = [a[1] for a in assignments if a[0] == SubjectType.MANAGER]
    unit_ids = [a[1] for a in assignments if a[0] != SubjectType.MANAGER]
    users = {u[0]: u for u in User.objects.filter(pk__in=user_ids).values_list("id", "name", "username", "org_unit_id")}
    units = {u[0]: u for u in OrgUnit.objects.filter(pk__in=unit_ids).values_list("id", "name")}
    subjects = []
    for stype, sid, tid, aid in assignments:
        if stype == SubjectType.MANAGER:
            u = users.get(sid)
            if u is None:
                continue
            subjects.append([stype, sid, u[0], u[3], u[1] or u[2], tid, aid])
        else:
            u = units.get(sid)
            if u is None:
                continue
            subjects.append([stype, sid, None, sid, u[1], tid, aid])
    return {
        "period": period,
        "compute_date": cal.compute_date(period).isoformat(),
        "templates": {
            str(tid): {
                "name": t.name, "subject_type": t.subject_type, "valid_from": t.valid_from.isoformat(),
                "valid_to": t.valid_to.isoformat() if t.valid_to else None, "enabled": t.enabled,
                "indicators": [[tc.indicator_id, str(tc.weight)] for tc in tcomps[tid]],
                # veto items (一票否决): [atomic id, threshold, total when hit]
                "vetoes": [[v.atomic_id, str(v.threshold), str(v.total)] for v in vetoes[tid]],
            } for tid, t in templates.items()
        },
        "indicators": {
            str(iid): {"name": i.name, "atomics": [[ic.atomic_id, str(ic.weight)] for ic in icomps[iid]]}
            for iid, i in indicators.items()
        },
        "atomics": {
            str(aid): {
                "name": a.name, "metric_id": a.metric_id, "metric": a.metric.code, "mode": a.mode,
                "target_metric_id": a.target_metric_id, "missing": a.missing_policy,
                "intervals": intervals[aid],
                **({"full_score": _dec(a.full_score), "floor": _dec(a.score_floor), "cap": _dec(a.score_cap)}
                   if a.mode == ScoringMode.RATE else {}),
                **({"full_score": _dec(a.full_score), "floor": _dec(a.score_floor),
                    "per_unit": _dec(a.deduction_per_unit)} if a.mode == ScoringMode.DEDUCTION else {}),
            } for aid, a in atomics.items()
        },
        # [subject_type, subject_id, user_id, org_unit_id, label, template_id, assignment_id]
        "subjects": subjects,
    }


def _kernel_atomic(aid: str, spec: dict) -> kernel.AtomicSpec:
    ivs = tuple(kernel.make_interval(lo, lc, hi, hc, sc) for lo, lc, hi, hc, sc in spec["intervals"])
    rate = {}
    if spec["mode"] == ScoringMode.RATE:
        rate = {"full_score": Decimal(spec["full_score"]), "floor": Decimal(spec["floor"]),
                "cap": Decimal(spec["cap"])}
    elif spec["mode"] == ScoringMode.DEDUCTION:
        rate = {"full_score": Decimal(spec["full_score"]), "floor": Decimal(spec["floor"]),
                "per_unit": Decimal(spec["per_unit"])}
    return kernel.AtomicSpec(
        int(aid), ivs, mode=kernel_mode(spec["mode"]),
        missing=kernel.MISSING_BLOCK if spec["missing"] == MissingPolicy.BLOCK else kernel.MISSING_ZERO,
        **rate,
    )


def template_vetoes(template: dict, config: dict) -> tuple[kernel.VetoSpec, ...]:
    """The kernel's veto rules of a recorded template (configurations recorded before veto items
    existed have none)."""
    return tuple(kernel.VetoSpec(int(aid), Decimal(threshold), Decimal(total), config["atomics"][str(aid)]["name"])
                 for aid, threshold, total in template.get("vetoes", ()))


def kernel_mode(mode: str) -> str:
    """The kernel's scoring mode of an atomic indicator's ``mode``."""
    return {ScoringMode.ATTAINMENT: kernel.MODE_ATTAINMENT, ScoringMode.RATE: kernel.MODE_RATE,
            ScoringMode.DEDUCTION: kernel.MODE_DEDUCTION}.get(mode, kernel.MODE_INTERVAL)


def _load_values(period: str, config: dict) -> dict[tuple[int, str, int], Decimal]:
    """Every metric value the configuration needs for ``period``, in one query (read as plain
    rows: at province size these are millions)."""
    from django.db import connection

    metric_ids = set()
    for spec in config["atomics"].values():
        metric_ids.add(spec["metric_id"])
        if spec["target_metric_id"]:
            metric_ids.add(spec["target_metric_id"])
    if not metric_ids:
        return {}
    table = connection.ops.quote_name(MetricValue._meta.db_table)
    marks = ", ".join(["%s"] * len(metric_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT metric_id, subject_type, subject_id, value FROM {table} "
                       f"WHERE period = %s AND metric_id IN ({marks})", [period, *sorted(metric_ids)])
        rows = cursor.fetchall()
    return {(m, st, sid): _as_decimal(v) for m, st, sid, v in rows}


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):  # SQLite keeps decimals as REAL: its shortest repr is the value entered
        return Decimal(repr(value))
    return Decimal(value)


def _sums(model, field: str, period: str) -> dict[tuple[str, int], Decimal]:
    return {(st, sid): total for st, sid, total in model.objects.filter(period=period).values_list(
        "subject_type", "subject_id").annotate(s=Sum(field)).values_list("subject_type", "subject_id", "s")}


def missing_report(period: str, config: dict | None = None, values: dict | None = None,
                   with_values: bool = True) -> dict[str, Any]:
    """What is missing before computing ``period``: managers without a template, templates not
    valid for the month, and per atomic indicator the subjects without a value (with the policy
    that will apply; left out without ``with_values`` — the SQL engine finds them itself)."""
    config = config or build_config(period)
    if not with_values:
        values = {}
    values = values if values is not None else _load_values(period, config)
    assigned = {(s[0], s[1]) for s in config["subjects"]}
    managers = list(
        User.objects.filter(roles__code=MANAGER_ROLE, is_active=True).distinct()
        .order_by("username").values_list("id", "name", "username"))
    unassigned = [[u[0], u[1] or u[2]] for u in managers if (SubjectType.MANAGER, u[0]) not in assigned]
    invalid_templates = []
    for tid, t in config["templates"].items():
        vf = dt.date.fromisoformat(t["valid_from"])
        vt = dt.date.fromisoformat(t["valid_to"]) if t["valid_to"] else None
        if not t["enabled"] or not cal.template_usable(vf, vt, period):
            invalid_templates.append({"template": int(tid), "name": t["name"]})
    by_template = defaultdict(list)
    for s in config["subjects"]:
        by_template[str(s[5])].append(s)
    missing = []
    for tid, subs in by_template.items() if with_values else ():
        t = config["templates"][tid]
        atomic_ids = []
        for iid, _w in t["indicators"]:
            for aid, _aw in config["indicators"][str(iid)]["atomics"]:
                if aid not in atomic_ids:
                    atomic_ids.append(aid)
        for aid in atomic_ids:
            spec = config["atomics"][str(aid)]
            lacking = [s for s in subs if (spec["metric_id"], s[0], s[1]) not in values]
            no_target = []
            if spec["mode"] in (ScoringMode.ATTAINMENT, ScoringMode.RATE):
                no_target = [s for s in subs if (spec["metric_id"], s[0], s[1]) in values
                             and not values.get((spec["target_metric_id"], s[0], s[1]))]
            if lacking or no_target:
                missing.append({
                    "template": int(tid), "template_name": t["name"], "atomic": aid, "atomic_name": spec["name"],
                    "metric": spec["metric"], "policy": spec["missing"],
                    "missing_count": len(lacking), "missing": [[s[1], s[4]] for s in lacking[:REPORT_LIST_CAP]],
                    "no_target_count": len(no_target),
                    "no_target": [[s[1], s[4]] for s in no_target[:REPORT_LIST_CAP]],
                })
    return {
        "period": period,
        "subjects": len(config["subjects"]),
        "unassigned_count": len(unassigned),
        "unassigned": unassigned[:REPORT_LIST_CAP],
        "invalid_templates": invalid_templates,
        "missing_values": missing,
        "blocked": 0,
    }


def _input_hash(config: dict, values: dict | str, bonuses: dict, adjustments: dict) -> str:
    """A fingerprint of everything a month's results depend on (``values``: the values, or the
    database's digest of them when the month is scored in SQL)."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, ensure_ascii=False).encode())
    for part in (values, bonuses, adjustments):
        digest.update(b"\x00")
        if isinstance(part, str):
            digest.update(part.encode())
            continue
        digest.update("".join(f"{k}={part[k].normalize()}\n" for k in sorted(part)).encode())
    return digest.hexdigest()


ENGINE_KERNEL = "kernel"  # values read into Python, scored by kernel.score_batch, rows streamed back
ENGINE_SQL = "sql"  # scored inside the database (sqlscoring / sqlitescoring), same arithmetic


def scoring_engine() -> str:
    """The engine of a run: SQL inside PostgreSQL (exact ``numeric``) or SQLite (scaled integers),
    the kernel on any other database."""
    from django.db import connection

    return ENGINE_SQL if connection.vendor in ("postgresql", "sqlite") else ENGINE_KERNEL


def _gone(config: dict) -> tuple[set[int], set[int], set[int]]:
    """Templates, indicators and atomic indicators of ``config`` deleted since it was recorded."""
    gone_indicators = {int(i) for i in config["indicators"]} - set(
        Indicator.objects.filter(pk__in=[int(i) for i in config["indicators"]]).values_list("pk", flat=True))
    gone_atomics = {int(a) for a in config["atomics"]} - set(
        AtomicIndicator.objects.filter(pk__in=[int(a) for a in config["atomics"]]).values_list("pk", flat=True))
    gone_templates = {int(t) for t in config["templates"]} - set(
        Template.objects.filter(pk__in=[int(t) for t in config["templates"]]).values_list("pk", flat=True))
    return gone_templates, gone_indicators, gone_atomics


def _clear_gone_links(period: str, gone_indicators: set[int], gone_atomics: set[int]) -> None:
    if gone_indicators:
        ScoreDetail.objects.filter(result__period=period, indicator_id__in=gone_indicators).update(indicator=None)
    if gone_atomics:
        ScoreDetail.objects.filter(result__period=period, atomic_id__in=gone_atomics).update(atomic=None)


def _compute_sql(run: AssessmentRun, config: dict) -> AssessmentRun:
    from django.db import connection

    if connection.vendor == "sqlite":
        from .sqlitescoring import score_month
    else:
        from .sqlscoring import score_month

    period = run.period
    bonuses = _sums(Bonus, "points", period)
    adjustments = _sums(Adjustment, "delta", period)
    report = missing_report(period, config, with_values=False)
    gone_templates, gone_indicators, gone_atomics = _gone(config)
    _delete_month(period)
    outcome = score_month(run, config, period, gone_templates)
    _clear_gone_links(period, gone_indicators, gone_atomics)
    report["missing_values"] = _missing_entries(config, outcome.missing)
    report["blocked"] = outcome.blocked
    run.config = config
    run.report = report
    run.input_hash = _input_hash(config, outcome.values_digest, bonuses, adjustments)
    run.result_count = outcome.result_count
    run.status = RunStatus.SUCCEEDED
    run.finished_at = clock.now()
    run.message = ""
    run.save()
    return run


def _missing_entries(config: dict, found: dict[tuple[int, int, str], tuple[int, list]]) -> list[dict[str, Any]]:
    """The report's "missing values" part (same shape and order as :func:`missing_report`) from
    the rows the SQL engine found: ``{(template, atomic, status): (count, first rows)}``."""
    entries = []
    for tid in dict.fromkeys(str(s[5]) for s in config["subjects"]):
        t = config["templates"][tid]
        atomic_ids = []
        for iid, _w in t["indicators"]:
            for aid, _aw in config["indicators"][str(iid)]["atomics"]:
                if aid not in atomic_ids:
                    atomic_ids.append(aid)
        for aid in atomic_ids:
            spec = config["atomics"][str(aid)]
            lacking = found.get((int(tid), int(aid), kernel.ST_MISSING), (0, []))
            no_target = found.get((int(tid), int(aid), kernel.ST_NO_TARGET), (0, []))
            if lacking[0] or no_target[0]:
                entries.append({
                    "template": int(tid), "template_name": t["name"], "atomic": aid, "atomic_name": spec["name"],
                    "metric": spec["metric"], "policy": spec["missing"],
                    "missing_count": lacking[0], "missing": lacking[1], "no_target_count": no_target[0],
                    "no_target": no_target[1],
                })
    return entries


def compute(run: AssessmentRun, engine: str | None = None) -> AssessmentRun:
    """Compute month ``run.period``: set-based — scored inside PostgreSQL (:func:`scoring_engine`),
    or one read of the values, the kernel's batch scoring per template and bulk writes of results
    and details; either way replacing the month's previous rows."""
    period = run.period
    previous = (AssessmentRun.objects.filter(period=period, status=RunStatus.SUCCEEDED)
                .exclude(pk=run.pk).order_by("-finished_at", "-id").first())
    if previous is not None and previous.config and not run.refresh_config:
        config = previous.config  # a later configuration edit never rewrites a computed month
    else:
        config = build_config(period)
    builtin_values_store(period)  # the platform's own data, as of now, like any value of the month
    if (engine or scoring_engine()) == ENGINE_SQL:
        from .sqlitescoring import Unfit

        try:
            with transaction.atomic():
                return _compute_sql(run, config)
        except Unfit:
            if engine:  # asked for by name: no silent change of engine
                raise
            # a number beyond the SQLite engine's exact range: the kernel scores the month
    values = _load_values(period, config)
    bonuses = _sums(Bonus, "points", period)
    adjustments = _sums(Adjustment, "delta", period)
    report = missing_report(period, config, values)
    atomics = {int(aid): _kernel_atomic(aid, spec) for aid, spec in config["atomics"].items()}

    by_template: dict[str, list[list]] = defaultdict(list)
    for s in config["subjects"]:
        by_template[str(s[5])].append(s)

    results: list[Result] = []
    detail_cols: list[tuple[int, kernel.BatchResult, dict]] = []  # (first result index, batch, template)
    blocked = 0
    for tid, subs in by_template.items():
        t = config["templates"][tid]
        spec = kernel.TemplateSpec(int(tid), tuple(
            kernel.IndicatorSpec(iid, Decimal(w), tuple(
                (aid, Decimal(aw)) for aid, aw in config["indicators"][str(iid)]["atomics"]))
            for iid, w in t["indicators"]
        ), vetoes=template_vetoes(t, config))
        used = {aid for ind in spec.indicators for aid, _w in ind.components} | {v.key for v in spec.vetoes}
        cols = {aid: [values.get((config["atomics"][str(aid)]["metric_id"], s[0], s[1])) for s in subs]
                for aid in used}
        tgts = {aid: [values.get((config["atomics"][str(aid)]["target_metric_id"], s[0], s[1])) for s in subs]
                for aid in used if config["atomics"][str(aid)]["target_metric_id"]}
        batch = kernel.score_batch(spec, atomics, [(s[0], s[1]) for s in subs], cols, tgts)
        first = len(results)
        for i, s in enumerate(subs):
            key = (s[0], s[1])
            score = batch.template_score[i]
            bonus = bonuses.get(key) or Decimal(0)
            adjustment = adjustments.get(key) or Decimal(0)
            blocked += batch.blocked[i]
            results.append(Result(
                run=run, period=period, subject_type=s[0], subject_id=s[1], user_id=s[2], org_unit_id=s[3],
                subject_label=s[4][:100], template_id=int(tid), template_name=t["name"],
                status=ResultStatus.BLOCKED if batch.blocked[i] else ResultStatus.SCORED,
                score=score, bonus=bonus, adjustment=adjustment,
                total=kernel.final_total(score, bonus, adjustment, batch.veto_total[i]),
                vetoed=batch.veto[i] is not None, veto_text=batch.veto_text[i][:200],
            ))
        detail_cols.append((first, batch, t))
    # Ranks per subject type, overall and within the org unit.
    _assign_ranks(results)
    report["blocked"] = blocked

    _delete_month(period)
    _fast_insert(Result, RESULT_COLUMNS, ([getattr(r, c) for c in RESULT_COLUMNS] for r in results))
    ids = {(st, sid): pk for st, sid, pk in Result.objects.filter(period=period).values_list(
        "subject_type", "subject_id", "id")}
    for r in results:
        r.pk = ids[(r.subject_type, r.subject_id)]
    atomic_names = {int(aid): spec["name"] for aid, spec in config["atomics"].items()}
    metric_codes = {int(aid): spec["metric"] for aid, spec in config["atomics"].items()}
    indicator_names = {int(iid): spec["name"] for iid, spec in config["indicators"].items()}

    def detail_rows():
        for first, batch, t in detail_cols:
            ind_weights = {iid: Decimal(w) for iid, w in t["indicators"]}
            position: dict[int, int] = defaultdict(int)
            for (si, iid, aid, value, measure, idx, text, score, weight, contrib, status) in batch.detail_rows():
                position[si] += 1
                yield (results[first + si].pk, iid, indicator_names[iid], ind_weights[iid],
                       batch.indicator_scores[iid][si], aid, atomic_names[aid], metric_codes[aid], value, measure,
                       None if idx is None else idx + 1, text, score, weight, contrib, status, position[si])

    _fast_insert(ScoreDetail, DETAIL_COLUMNS, detail_rows())
    # Indicators, atomic indicators or templates deleted since the configuration was recorded keep
    # their names in the results and details; their foreign keys are cleared.
    gone_templates, gone_indicators, gone_atomics = _gone(config)
    _clear_gone_links(period, gone_indicators, gone_atomics)
    if gone_templates:
        Result.objects.filter(period=period, template_id__in=gone_templates).update(template=None)

    run.config = config
    run.report = report
    run.input_hash = _input_hash(config, values, bonuses, adjustments)
    run.result_count = len(results)
    run.status = RunStatus.SUCCEEDED
    run.finished_at = clock.now()
    run.message = ""
    run.save()
    return run


def _delete_month(period: str) -> None:
    """The month's previous results and details, in two statements (no per-row collection)."""
    from django.db import connection

    qn = connection.ops.quote_name
    detail, result = qn(ScoreDetail._meta.db_table), qn(Result._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {detail} WHERE result_id IN (SELECT id FROM {result} WHERE period = %s)",
                       [period])
        cursor.execute(f"DELETE FROM {result} WHERE period = %s", [period])


_COPY_ESCAPED: dict[str, str] = {}  # names and interval texts repeat on every row


def _copy_text(value: Any) -> str:
    """A value in PostgreSQL's COPY text format."""
    kind = type(value)
    if kind is str:
        escaped = _COPY_ESCAPED.get(value)
        if escaped is None:
            escaped = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
            if len(_COPY_ESCAPED) < 50000:
                _COPY_ESCAPED[value] = escaped
        return escaped
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    return str(value)


RESULT_COLUMNS = ("run_id", "period", "subject_type", "subject_id", "user_id", "org_unit_id", "subject_label",
                  "template_id", "template_name", "status", "score", "bonus", "adjustment", "total", "rank",
                  "rank_in_unit", "vetoed", "veto_text")
DETAIL_COLUMNS = ("result_id", "indicator_id", "indicator_name", "indicator_weight", "indicator_score", "atomic_id",
                  "atomic_name", "metric_code", "value", "measure", "interval_position", "interval_text", "score",
                  "weight", "contribution", "status", "position")


def _fast_insert(model, columns: Sequence[str], rows, chunk: int = 20000) -> None:
    """Insert many rows of plain values: ``COPY`` on PostgreSQL, ``executemany`` elsewhere.

    A run writes one row per subject × atomic indicator (millions at province size); building a
    model instance and its SQL per row would cost more than the whole computation. Columns are
    the model's own (``…_id`` for foreign keys); values are already the stored types.
    """
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            lines: list[str] = []
            for row in rows:
                lines.append("\t".join(map(_copy_text, row)) + "\n")
                if len(lines) >= chunk:
                    copy.write("".join(lines))
                    lines = []
            if lines:
                copy.write("".join(lines))
        return
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        buffer = []
        for row in rows:
            buffer.append(tuple(row))
            if len(buffer) >= chunk:
                cursor.executemany(sql, buffer)
                buffer = []
        if buffer:
            cursor.executemany(sql, buffer)


def _assign_ranks(results: Sequence[Result]) -> None:
    by_type: dict[str, list[Result]] = defaultdict(list)
    by_unit: dict[tuple[str, int | None], list[Result]] = defaultdict(list)
    for r in results:
        by_type[r.subject_type].append(r)
        by_unit[(r.subject_type, r.org_unit_id)].append(r)
    for group in by_type.values():
        for r, k in zip(group, kernel.rank([r.total for r in group]), strict=True):
            r.rank = k
    for group in by_unit.values():
        for r, k in zip(group, kernel.rank([r.total for r in group]), strict=True):
            r.rank_in_unit = k


def _rerank(period: str) -> None:
    results = list(Result.objects.filter(period=period).only("id", "subject_type", "org_unit_id", "total"))
    _assign_ranks(results)
    Result.objects.bulk_update(results, ["rank", "rank_in_unit"], batch_size=2000)


def runs_sync(period: str | None = None) -> None:
    """Mark failed the runs whose background job failed or was cancelled (the job's transaction
    rolled back everything the run wrote, including its status)."""
    from django.apps import apps

    if not apps.is_installed("kam.jobs"):
        return
    from kam.jobs.models import Job, JobStatus

    pending = AssessmentRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING], job_id__isnull=False)
    if period:
        pending = pending.filter(period=period)
    for run in pending:
        job = Job.objects.filter(pk=run.job_id).only("status", "error", "finished_at").first()
        if job is None or job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
            AssessmentRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, message=(job.error if job else "")[:2000],
                finished_at=(job.finished_at if job else None) or clock.now())


@transaction.atomic
def run_start(*, user: Any | None, period: str, trigger: str = RunTrigger.MANUAL, refresh_config: bool = False,
              background: bool = True) -> AssessmentRun:
    """Start the computation of month ``period`` (考核计算).

    Allowed once the month has ended (from day 1 of the next month) for a holder of
    ``assessment_run`` change; the automatic run comes on the computation day (R-ASM-3). With
    ``background`` the work runs as a background job, else now. Re-running a month replaces its
    results and reuses the configuration recorded by its first run unless ``refresh_config``.
    """
    _require(user, MODULE_RUN)
    check_period(period)
    if not cal.computable(period):
        raise ValidationError({"period": _(
            "Month %(month)s has not ended yet: it can be computed from %(first)s, automatically on %(day)s.") % {
            "month": period, "first": cal.parse_month(cal.add_months(period, 1)).isoformat(),
            "day": cal.compute_date(period).isoformat()}})
    runs_sync(period)
    if AssessmentRun.objects.filter(period=period, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise ValidationError({"period": _("Month %(month)s is being computed already.") % {"month": period}})
    from .appeals import check_not_published  # a published month is not re-run (decision 0026)

    check_not_published(period)
    run = AssessmentRun.objects.create(
        period=period, trigger=trigger, refresh_config=refresh_config,
        created_by=user if getattr(user, "pk", None) else None,
    )
    from django.apps import apps

    if background and apps.is_installed("kam.jobs"):
        from kam.jobs.services import job_start

        job = job_start(user=user if getattr(user, "pk", None) else None, kind="assessment.run",
                        params={"run_id": run.pk}, label=str(_("Assessment computation %(month)s") % {"month": period}))
        run.job_id = job.pk
        run.save(update_fields=["job_id"])
        return run
    return run_execute(run_id=run.pk)


@transaction.atomic
def run_execute(*, run_id: int) -> AssessmentRun:
    """Do the computation of a started run (the background job calls this)."""
    run = AssessmentRun.objects.select_for_update().get(pk=run_id)
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        return run
    run.status = RunStatus.RUNNING
    run.started_at = clock.now()
    run.save(update_fields=["status", "started_at"])
    return compute(run)


def assessment_compute_due() -> str:
    """Periodic: on or after the computation day, compute last month once automatically."""
    today = clock.today()
    if today.day < cal.param("assessment.compute_day"):
        return "not yet"
    period = cal.previous_month(today)
    if AssessmentRun.objects.filter(period=period, trigger=RunTrigger.AUTO,
                                    status__in=[RunStatus.SUCCEEDED, RunStatus.RUNNING]).exists():
        return f"{period}: done"
    runs_sync(period)
    if AssessmentRun.objects.filter(period=period, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        return f"{period}: a run started by a user is under way; tried again tomorrow"
    run = run_start(user=None, period=period, trigger=RunTrigger.AUTO, background=False)
    return f"{period}: {run.result_count} results"


# --- adjustments, bonus points, notes (R-ASM-6) ----------------------------------------------------------------


def _result_for(period: str, subject_type: str, subject_id: int) -> Result:
    result = Result.objects.filter(period=period, subject_type=subject_type, subject_id=subject_id).first()
    if result is None:
        raise ValidationError({"subject": _("There is no result of %(month)s for this subject yet.") % {
            "month": period}})
    return result


def _retotal(result: Result) -> None:
    """Bonus and adjustment sums of the result's subject and month, and the new total (one query each)."""
    key = {"period": result.period, "subject_type": result.subject_type, "subject_id": result.subject_id}
    result.bonus = Bonus.objects.filter(**key).aggregate(s=Sum("points"))["s"] or Decimal(0)
    result.adjustment = Adjustment.objects.filter(**key).aggregate(s=Sum("delta"))["s"] or Decimal(0)
    # A vetoed result (一票否决) keeps the veto's total whatever the bonus points and adjustments.
    result.total = kernel.final_total(result.score, result.bonus, result.adjustment,
                                      result.total if result.vetoed else None)
    result.save(update_fields=["bonus", "adjustment", "total"])
    _rerank(result.period)


@transaction.atomic
def adjustment_create(*, user: Any, result: Result, delta: Any, reason: str) -> Adjustment:
    """考核分数调整 (R-ASM-6): last month's total, on days 1–15 only, with a reason; audited."""
    _require(user, MODULE_RESULTS)
    if not cal.adjustment_open(result.period):
        raise ValidationError({"period": _(
            "Only last month's scores can be adjusted, on days %(first)s to %(last)s of this month.") % {
            "first": cal.param("assessment.adjust_first_day"), "last": cal.param("assessment.adjust_last_day")}})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason of the adjustment.")})
    d = _decimal(delta, "delta", _("Adjustment"))
    if d == 0 or not kernel.has_at_most_2_decimals(d) or abs(d) >= 1000:
        raise ValidationError({"delta": _("Enter a non-zero number of points with at most 2 decimals.")})
    if result.status == ResultStatus.BLOCKED:
        raise ValidationError({"subject": _("The result is held until its missing values are there.")})
    if user is not None:
        check_in_scope(user, result, "change")
    adj = Adjustment(period=result.period, subject_type=result.subject_type, subject_id=result.subject_id,
                     user_id=result.user_id, org_unit_id=result.org_unit_id, delta=d, reason=reason.strip(),
                     created_by=user)
    adj.full_clean()
    adj.save()
    if user is not None:
        check_in_scope(user, adj, "change")
    _retotal(result)
    return adj


def _check_bonus_open(period: str) -> None:
    if not cal.bonus_open(period):
        raise ValidationError({"period": _(
            "Bonus points of %(month)s can no longer be given or changed: a month's bonus points are open until "
            "day %(last)s of the next month.") % {"month": period, "last": cal.param("assessment.adjust_last_day")}})


def _bonus_points(points: Any) -> Decimal:
    p = _decimal(points, "points", _("Points"))
    if p <= 0 or not kernel.has_at_most_2_decimals(p) or p >= 1000:
        raise ValidationError({"points": _("Enter a positive number of points with at most 2 decimals.")})
    return p


def _bonus_retotal(bonus: Bonus) -> None:
    result = Result.objects.filter(period=bonus.period, subject_type=bonus.subject_type,
                                   subject_id=bonus.subject_id).first()
    if result is not None:
        _retotal(result)


@transaction.atomic
def bonus_create(*, user: Any, subject_type: str, subject_id: int, period: str, points: Any, reason: str) -> Bonus:
    """加分项: extra points for the month (counted in the total at the next computation, or now
    when the month has a result). Open during the month and until the adjustment window of the
    next month closes (:func:`kam.assessment.calendar.bonus_open`)."""
    _require(user, MODULE_RESULTS)
    check_period(period)
    _check_bonus_open(period)
    subject_user, unit = resolve_subject(subject_type, subject_id)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason of the bonus points.")})
    p = _bonus_points(points)
    bonus = Bonus(period=period, subject_type=subject_type, subject_id=subject_id, user=subject_user, org_unit=unit,
                  points=p, reason=reason.strip(), created_by=user)
    bonus.full_clean()
    bonus.save()
    if user is not None:
        check_in_scope(user, bonus, "change")
    _bonus_retotal(bonus)
    return bonus


@transaction.atomic
def bonus_update(*, user: Any, bonus: Bonus, points: Any, reason: str) -> Bonus:
    """Change the points or the reason of a bonus (same window as :func:`bonus_create`)."""
    _require(user, MODULE_RESULTS)
    if user is not None:
        check_in_scope(user, bonus, "change")
    _check_bonus_open(bonus.period)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason of the bonus points.")})
    bonus.points = _bonus_points(points)
    bonus.reason = reason.strip()
    bonus.full_clean()
    bonus.save(update_fields=["points", "reason"])
    _bonus_retotal(bonus)
    return bonus


@transaction.atomic
def bonus_delete(*, user: Any, bonus: Bonus) -> None:
    _require(user, MODULE_RESULTS)
    if user is not None:
        check_in_scope(user, bonus, "change")
    _check_bonus_open(bonus.period)
    bonus.delete()
    _bonus_retotal(bonus)


@transaction.atomic
def note_create(*, user: Any, subject_type: str, subject_id: int, period: str, text: str) -> AssessmentNote:
    _require(user, MODULE_RESULTS)
    check_period(period)
    subject_user, unit = resolve_subject(subject_type, subject_id)
    if not (text or "").strip():
        raise ValidationError({"text": _("Write the note.")})
    note = AssessmentNote(period=period, subject_type=subject_type, subject_id=subject_id, user=subject_user,
                          org_unit=unit, text=text.strip(), created_by=user)
    note.full_clean()
    note.save()
    if user is not None:
        check_in_scope(user, note, "change")
    return note


@transaction.atomic
def note_update(*, user: Any, note: AssessmentNote, text: str) -> AssessmentNote:
    _require(user, MODULE_RESULTS)
    if user is not None:
        check_in_scope(user, note, "change")
    if not (text or "").strip():
        raise ValidationError({"text": _("Write the note.")})
    note.text = text.strip()
    note.save(update_fields=["text", "updated_at"])
    return note


@transaction.atomic
def note_delete(*, user: Any, note: AssessmentNote) -> None:
    _require(user, MODULE_RESULTS)
    if user is not None:
        check_in_scope(user, note, "change")
    note.delete()
