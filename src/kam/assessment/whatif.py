"""试算 (what-if): score a draft template against a month's real metric values without writing
anything — no run, no result, no detail; the official results stay as they are.

The draft is a list of weighted assessment indicators: saved indicators (``{"indicator": …}``)
or indicators composed on the spot (``{"name": …, "atomics": [{"atomic": …, "weight": …}]}``);
it may start from a saved template (its components, edited or not). A row of a composed indicator
may also be a brand-new atomic indicator (``{"new": {"metric": …, "mode": …, "intervals": […], …},
"weight": …}``, the fields of ``POST atomic-indicators/``): it is checked by the very rule that
saves atomic indicators (:func:`kam.assessment.services._atomic_save`, R-ASM-1 and the scoring
modes' parameters) inside a savepoint that is rolled back, so it gets the same messages and is
never stored. Atomic indicators are scored
with their current intervals by the pure kernel (:func:`kam.assessment.kernel.score_batch`), so a
what-if explains every number exactly like a computed month.

Subjects are the managers (or sections / departments) of an org node, or the draft template's
assignees in the month; both the subjects and their values are read within the user's data scope
of assessment data (R-PERM-1).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kam.core.querysets import ScopeSpec
from kam.org.models import OrgUnit, User
from kam.org.permissions import has_perm, scope_q

from . import kernel
from .messages import weight_message
from .models import (
    MODULE_CONFIG,
    MODULE_DATA,
    Assignment,
    AtomicIndicator,
    Indicator,
    Metric,
    MetricValue,
    MissingPolicy,
    Result,
    SubjectType,
    Template,
)
from .services import MANAGER_ROLE, _as_decimal, check_period, kernel_mode

SUBJECT_CAP = 5000  # subjects scored in one what-if


class _ManagerData:
    """The data scope of assessment data applied to the managers themselves (the subjects)."""

    kam_scope = ScopeSpec(module=MODULE_DATA, org="org_unit", owner="")


class _UnitData:
    kam_scope = ScopeSpec(module=MODULE_DATA, org="")


@dataclass
class WhatIfIndicator:
    key: int
    name: str
    weight: Decimal
    atomics: list[tuple[AtomicIndicator, Decimal]]


@dataclass
class WhatIfResult:
    period: str
    subject_type: str
    indicators: list[WhatIfIndicator]
    subjects: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period, "subject_type": self.subject_type, "truncated": self.truncated,
            "count": len(self.subjects),
            "indicators": [{"name": i.name, "weight": str(i.weight),
                            "atomics": [{"atomic": a.pk if a.pk and a.pk > 0 else None, "name": a.name,
                                         "weight": str(w)} for a, w in i.atomics]}
                           for i in self.indicators],
            "subjects": self.subjects,
        }


def _weights(weights: Sequence[Any], what: str) -> list[Decimal]:
    problems = kernel.validate_weights(list(weights))
    if problems:
        raise ValidationError({"components": [weight_message(p, what) for p in problems]})
    return [kernel.to_decimal(str(w) if isinstance(w, float) else w) for w in weights]  # type: ignore[misc]


class _Discard(Exception):
    """Rolls back the savepoint in which a new atomic indicator was checked."""


DRAFT_ATOMIC_FIELDS = ("metric", "mode", "target_metric", "missing_policy", "domain_lower", "domain_lower_closed",
                       "domain_upper", "domain_upper_closed", "full_score", "score_floor", "score_cap",
                       "deduction_per_unit")


def _metric(user: Any, value: Any, field: str) -> Metric | None:
    if value in (None, ""):
        return None
    qs = Metric.objects.restrict(user, "view") if user is not None else Metric.objects.all()
    ref = getattr(value, "pk", value)
    metric = (qs.filter(pk=ref) if str(ref).isdigit() else qs.filter(code=ref)).first()
    if metric is None:
        raise ValidationError({field: _("Unknown metric.")})
    return metric


def draft_atomic(user: Any, spec: dict[str, Any], key: int) -> AtomicIndicator:
    """A new atomic indicator of a what-if, checked like ``atomic_indicator_create`` (same rule, same
    messages, keyed by the field) and never stored; ``key`` (negative) identifies it in the draft."""
    from .services import _atomic_save

    fields = {k: spec[k] for k in DRAFT_ATOMIC_FIELDS if k in spec and spec[k] is not None and spec[k] != ""}
    fields["metric"] = _metric(user, spec.get("metric"), "metric")
    if fields["metric"] is None:
        raise ValidationError({"metric": _("Choose the metric of the new atomic indicator.")})
    if "target_metric" in fields:
        fields["target_metric"] = _metric(user, fields["target_metric"], "target_metric")
    fields["name"] = f"what-if {uuid.uuid4().hex}"  # unique while checked; rolled back with the savepoint
    checked: dict[str, Any] = {}
    try:
        with transaction.atomic():
            atomic = _atomic_save(AtomicIndicator(), fields, list(spec.get("intervals") or []))
            checked["atomic"] = atomic
            checked["intervals"] = [kernel.make_interval(iv.lower, iv.lower_closed, iv.upper, iv.upper_closed,
                                                         iv.score) for iv in atomic.intervals.order_by("position")]
            raise _Discard
    except _Discard:
        pass
    atomic = checked["atomic"]
    atomic.pk = key
    atomic.name = str(spec.get("name") or "").strip()[:100] or _("New atomic indicator")
    atomic.draft_intervals = checked["intervals"]
    return atomic


def _draft(user: Any, template: Template | None, components: Sequence[dict[str, Any]] | None
           ) -> list[WhatIfIndicator]:
    """The draft's indicators with their weighted atomic indicators (R-ASM-2 checked)."""
    visible_indicators = Indicator.objects.restrict(user, "view") if user is not None else Indicator.objects.all()
    visible_atomics = (AtomicIndicator.objects.restrict(user, "view") if user is not None
                       else AtomicIndicator.objects.all())
    if components is None:
        if template is None:
            raise ValidationError({"components": _("Give the indicators of the draft or a template to start from.")})
        components = [{"indicator": c.indicator, "weight": c.weight}
                      for c in template.components.select_related("indicator").order_by("position")]
    if not components:
        raise ValidationError({"components": _("Give the indicators of the draft or a template to start from.")})
    weights = _weights([c.get("weight") for c in components], str(_("assessment indicator")))
    result: list[WhatIfIndicator] = []
    for pos, (comp, weight) in enumerate(zip(components, weights, strict=True), 1):
        indicator = comp.get("indicator")
        if indicator is not None:
            ind_id = getattr(indicator, "pk", indicator)
            ind = visible_indicators.filter(pk=ind_id).first()
            if ind is None:
                raise ValidationError({"components": _("Row %(row)s: unknown assessment indicator.") % {"row": pos}})
            pairs = [(c.atomic, c.weight) for c in ind.components.select_related("atomic").order_by("position")]
            result.append(WhatIfIndicator(-pos, ind.name, weight, pairs))
            continue
        rows = comp.get("atomics") or []
        name = str(comp.get("name") or "").strip() or _("Draft indicator %(row)s") % {"row": pos}
        if not rows:
            raise ValidationError({"components": _("Row %(row)s: give a saved assessment indicator or the atomic "
                                                   "indicators of a new one.") % {"row": pos}})
        aweights = _weights([r.get("weight") for r in rows], str(_("atomic indicator")))
        atomics = {a.pk: a for a in visible_atomics.filter(pk__in=[getattr(r.get("atomic"), "pk", r.get("atomic"))
                                                                     for r in rows if not r.get("new")])}
        pairs = []
        for j, (r, w) in enumerate(zip(rows, aweights, strict=True), 1):
            if r.get("new"):
                pairs.append((draft_atomic(user, r["new"], -(pos * 100 + j)), w))
                continue
            a = atomics.get(getattr(r.get("atomic"), "pk", r.get("atomic")))
            if a is None:
                raise ValidationError({"components": _("Row %(row)s: unknown atomic indicator.") % {"row": pos}})
            pairs.append((a, w))
        if len({a.pk for a, _w in pairs}) != len(pairs):
            raise ValidationError({"components": _("Each %(what)s may appear only once.") % {
                "what": _("atomic indicator")}})
        result.append(WhatIfIndicator(-pos, name, weight, pairs))
    return result


def _subjects(user: Any, period: str, subject_type: str, template: Template | None, org_unit: OrgUnit | None
              ) -> list[tuple[int, int | None, str, str]]:
    """``[(subject id, org unit id, name, org unit name)]`` within the user's assessment-data scope."""
    if subject_type == SubjectType.MANAGER:
        qs = User.objects.filter(roles__code=MANAGER_ROLE, is_active=True).distinct()
        if user is not None:
            q = scope_q(user, _ManagerData, "view")  # type: ignore[arg-type]
            qs = qs.none() if q is None else qs.filter(q)
        if org_unit is not None:
            qs = qs.filter(org_unit__path__startswith=org_unit.path)
    else:
        qs = OrgUnit.objects.filter(kind=subject_type)
        if user is not None:
            q = scope_q(user, _UnitData, "view")  # type: ignore[arg-type]
            qs = qs.none() if q is None else qs.filter(q)
        if org_unit is not None:
            qs = qs.filter(path__startswith=org_unit.path)
    if org_unit is None:
        if template is None:
            raise ValidationError({"org_unit": _("Choose an organisation unit, or a template whose assignees are "
                                                 "scored.")})
        assigned = Assignment.objects.filter(template=template, subject_type=subject_type, month_from__lte=period
                                             ).filter(Q(month_to="") | Q(month_to__gte=period))
        qs = qs.filter(pk__in=assigned.values("subject_id"))
    if subject_type == SubjectType.MANAGER:
        rows = qs.order_by("org_unit__path", "username").values_list("id", "org_unit_id", "name", "username",
                                                                      "org_unit__name")
        return [(r[0], r[1], r[2] or r[3], r[4] or "") for r in rows[:SUBJECT_CAP + 1]]
    rows = qs.order_by("path").values_list("id", "id", "name", "name")
    return [(r[0], r[1], r[2], r[3]) for r in rows[:SUBJECT_CAP + 1]]


def what_if(*, user: Any | None, period: str, template: Template | None = None,
            components: Sequence[dict[str, Any]] | None = None, org_unit: OrgUnit | None = None,
            subject_type: str | None = None) -> WhatIfResult:
    """试算: score a draft against month ``period``'s values. Reads only; writes nothing.

    ``components``: the draft's weighted indicators (see the module); ``None`` takes ``template``'s.
    Subjects: the managers (or units of the template's kind) under ``org_unit``, else the
    ``template``'s assignees in the month.
    """
    if user is not None and not has_perm(user, MODULE_CONFIG, "view"):
        raise PermissionDenied(_("You have no permission for this action."))
    check_period(period)
    subject_type = subject_type or (template.subject_type if template else SubjectType.MANAGER)
    if subject_type not in SubjectType.values:
        raise ValidationError({"subject_type": _("Unknown subject type “%(type)s”.") % {"type": subject_type}})
    indicators = _draft(user, template, components)
    subjects = _subjects(user, period, subject_type, template, org_unit)
    truncated = len(subjects) > SUBJECT_CAP
    subjects = subjects[:SUBJECT_CAP]

    atomics: dict[int, AtomicIndicator] = {}
    for ind in indicators:
        for a, _w in ind.atomics:
            atomics[a.pk] = a
    # The template's veto items (一票否决) apply to the draft as well.
    vetoes = list(template.vetoes.select_related("atomic", "atomic__metric")) if template is not None else []
    for v in vetoes:
        atomics.setdefault(v.atomic_id, v.atomic)
    intervals: dict[int, list] = {pk: list(getattr(a, "draft_intervals", ())) for pk, a in atomics.items()}
    for a in AtomicIndicator.objects.filter(pk__in=[pk for pk in atomics if pk > 0]).prefetch_related("intervals"):
        intervals[a.pk] = [kernel.make_interval(iv.lower, iv.lower_closed, iv.upper, iv.upper_closed, iv.score)
                           for iv in a.intervals.all()]
    specs = {pk: kernel.AtomicSpec(
        pk, tuple(intervals[pk]),
        mode=kernel_mode(a.mode),
        missing=kernel.MISSING_BLOCK if a.missing_policy == MissingPolicy.BLOCK else kernel.MISSING_ZERO,
        full_score=Decimal(a.full_score), floor=Decimal(a.score_floor), cap=Decimal(a.score_cap),
        per_unit=Decimal(a.deduction_per_unit),
    ) for pk, a in atomics.items()}

    # The month's values of these subjects, within the user's scope (one query per 2,000 subjects).
    metric_ids = {a.metric_id for a in atomics.values()} | {a.target_metric_id for a in atomics.values()
                                                           if a.target_metric_id}
    values_qs = MetricValue.objects.restrict(user, "view") if user is not None else MetricValue.objects.all()
    values: dict[tuple[int, int], Decimal] = {}
    ids = [s[0] for s in subjects]
    for i in range(0, len(ids), 2000):
        for m, sid, v in values_qs.filter(period=period, subject_type=subject_type, metric_id__in=metric_ids,
                                          subject_id__in=ids[i:i + 2000]).values_list("metric_id", "subject_id",
                                                                                       "value"):
            values[(m, sid)] = _as_decimal(v)
    cols = {pk: [values.get((a.metric_id, sid)) for sid in ids] for pk, a in atomics.items()}
    tgts = {pk: [values.get((a.target_metric_id, sid)) for sid in ids] for pk, a in atomics.items()
            if a.target_metric_id}
    spec = kernel.TemplateSpec(0, tuple(kernel.IndicatorSpec(ind.key, ind.weight, tuple(
        (a.pk, w) for a, w in ind.atomics)) for ind in indicators), vetoes=tuple(
        kernel.VetoSpec(v.atomic_id, Decimal(v.threshold), Decimal(v.total), v.atomic.name) for v in vetoes))
    batch = kernel.score_batch(spec, specs, ids, cols, tgts)

    # The official template score of the month, for comparison (read within the results' scope).
    official_qs = Result.objects.restrict(user, "view") if user is not None else Result.objects.all()
    official: dict[int, Decimal | None] = {}
    for i in range(0, len(ids), 2000):
        official.update(official_qs.filter(period=period, subject_type=subject_type,
                                           subject_id__in=ids[i:i + 2000]).values_list("subject_id", "score"))

    names = {ind.key: ind for ind in indicators}
    out = WhatIfResult(period, subject_type, indicators, truncated=truncated)
    per_subject: list[dict[str, Any]] = []
    for si, (sid, unit_id, name, unit_name) in enumerate(subjects):
        score = batch.template_score[si]
        per_subject.append({
            "subject": sid, "name": name, "org_unit": unit_id, "org_unit_name": unit_name,
            "status": "blocked" if batch.blocked[si] else "scored",
            "score": None if score is None else str(score),
            "official_score": None if official.get(sid) is None else str(official[sid]),
            "vetoed": batch.veto[si] is not None,
            "veto_total": None if batch.veto_total[si] is None else str(batch.veto_total[si]),
            "veto": "" if batch.veto[si] is None else _("Veto: %(rule)s, total %(total)s") % {
                "rule": batch.veto_text[si], "total": kernel.fmt(batch.veto_total[si])},
            "indicators": [],
        })
    by_subject_ind: dict[tuple[int, int], dict[str, Any]] = {}
    for (si, ikey, akey, value, measure, idx, text, score, weight, contrib, status) in batch.detail_rows():
        key = (si, ikey)
        group = by_subject_ind.get(key)
        if group is None:
            ind = names[ikey]
            ind_score = batch.indicator_scores[ikey][si]
            group = {"name": ind.name, "weight": str(ind.weight), "score": str(ind_score),
                     "contribution": str(ind_score * ind.weight), "atomics": []}
            by_subject_ind[key] = group
            per_subject[si]["indicators"].append(group)
        group["atomics"].append({
            "atomic": akey, "name": atomics[akey].name, "metric": atomics[akey].metric.code,
            "value": None if value is None else kernel.fmt(value),
            "measure": None if measure is None else kernel.fmt(measure),
            "interval_position": None if idx is None else idx + 1, "interval": text, "score": str(score),
            "weight": str(weight), "contribution": str(contrib), "status": status,
        })
    out.subjects = per_subject
    return out
