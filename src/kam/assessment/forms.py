"""Forms of the assessment pages. They only collect input: every rule is checked by the services
(which name the interval, the row or the field at fault)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.core.forms import BootstrapMixin, KamForm, ServiceModelForm
from kam.core.querysets import ScopeSpec
from kam.org.models import OrgUnit, User
from kam.org.permissions import scope_q

from .models import (
    MODULE_RESULTS,
    AtomicIndicator,
    Indicator,
    Metric,
    MetricSource,
    Result,
    SubjectType,
    Template,
)

INTERVAL_ROWS = 10
COMPONENT_ROWS = 8


class MetricForm(ServiceModelForm):
    subject_types = forms.MultipleChoiceField(label=_("Applies to"), choices=SubjectType.choices,
                                              widget=forms.CheckboxSelectMultiple, initial=[SubjectType.MANAGER])

    class Meta:
        model = Metric
        fields = ["code", "name", "unit", "is_percentage", "source", "subject_types", "description", "enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["subject_types"] = self.instance.subject_types
        if self.instance.source == MetricSource.BUILTIN:
            # Computed from the platform's data: only the description and "enabled" are the user's.
            for name, field in self.fields.items():
                if name not in ("description", "enabled"):
                    field.disabled = True
        else:
            self.fields["source"].choices = [c for c in self.fields["source"].choices
                                             if c[0] != MetricSource.BUILTIN]


class AtomicIndicatorForm(ServiceModelForm):
    class Meta:
        model = AtomicIndicator
        fields = ["name", "metric", "mode", "target_metric", "missing_policy", "domain_lower", "domain_lower_closed",
                  "domain_upper", "domain_upper_closed", "full_score", "score_floor", "score_cap",
                  "deduction_per_unit", "description", "enabled"]

    RATE_FIELDS = ("full_score", "score_floor", "score_cap", "deduction_per_unit")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.RATE_FIELDS:  # only a completion rate with floor and cap and a deduction use them
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in self.RATE_FIELDS:
            if data.get(name) is None and name not in self.errors:
                data[name] = AtomicIndicator._meta.get_field(name).default
        return data


class IntervalRowForm(BootstrapMixin, forms.Form):
    """One row of the intervals table; a row left empty is ignored."""

    lower = forms.CharField(label=_("lower bound"), required=False, max_length=30,
                            widget=forms.TextInput(attrs={"placeholder": "−∞"}))
    lower_closed = forms.BooleanField(label=_("included"), required=False)
    upper = forms.CharField(label=_("upper bound"), required=False, max_length=30,
                            widget=forms.TextInput(attrs={"placeholder": "+∞"}))
    upper_closed = forms.BooleanField(label=_("included"), required=False)
    score = forms.CharField(label=_("score"), required=False, max_length=10)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bootstrap()

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any(str(data.get(k) or "").strip() for k in ("lower", "upper", "score"))


IntervalFormSet = forms.formset_factory(IntervalRowForm, extra=0, min_num=INTERVAL_ROWS, max_num=50)


def interval_rows(formset) -> list[dict[str, Any]]:
    """The non-empty rows of the intervals formset, in the order listed (``""`` bound = infinite)."""
    rows = []
    for form in formset.forms:
        if form.is_blank():
            continue
        data = form.cleaned_data
        rows.append({"lower": data["lower"].strip(), "lower_closed": data["lower_closed"],
                     "upper": data["upper"].strip(), "upper_closed": data["upper_closed"],
                     "score": data["score"].strip()})
    return rows


def interval_initial(atomic: AtomicIndicator | None) -> list[dict[str, Any]]:
    if atomic is None:
        return []
    return [{"lower": "" if iv.lower is None else _plain(iv.lower), "lower_closed": iv.lower_closed,
             "upper": "" if iv.upper is None else _plain(iv.upper), "upper_closed": iv.upper_closed,
             "score": _plain(iv.score)} for iv in atomic.intervals.all()]


def _plain(value) -> str:
    from .kernel import fmt

    return fmt(value)


class IndicatorForm(ServiceModelForm):
    class Meta:
        model = Indicator
        fields = ["name", "description", "enabled"]


class TemplateForm(ServiceModelForm):
    class Meta:
        model = Template
        fields = ["name", "subject_type", "valid_from", "valid_to", "description", "enabled"]


class ComponentRowForm(BootstrapMixin, forms.Form):
    """One weighted row: an atomic indicator (of an indicator) or an indicator (of a template)."""

    item = forms.ModelChoiceField(label=_("item"), queryset=AtomicIndicator.objects.none(), required=False)
    weight = forms.CharField(label=_("weight"), required=False, max_length=10)

    def __init__(self, *args: Any, queryset=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if queryset is not None:
            self.fields["item"].queryset = queryset
        self._bootstrap()


ComponentFormSet = forms.formset_factory(ComponentRowForm, extra=0, min_num=COMPONENT_ROWS, max_num=50)


def component_rows(formset, key: str) -> list[dict[str, Any]]:
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data.get("item") and not str(data.get("weight") or "").strip():
            continue
        rows.append({key: data.get("item"), "weight": str(data.get("weight") or "").strip()})
    return rows


class VetoRowForm(BootstrapMixin, forms.Form):
    """One veto item (一票否决) of a template: an atomic indicator, the threshold and the total."""

    atomic = forms.ModelChoiceField(label=_("atomic indicator"), queryset=AtomicIndicator.objects.none(),
                                    required=False)
    threshold = forms.CharField(label=_("veto when the value is at least"), required=False, max_length=24)
    total = forms.CharField(label=_("total when vetoed"), required=False, max_length=10)

    def __init__(self, *args: Any, queryset=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if queryset is not None:
            self.fields["atomic"].queryset = queryset
        self._bootstrap()


VetoFormSet = forms.formset_factory(VetoRowForm, extra=2, max_num=20)


def veto_rows(formset) -> list[dict[str, Any]]:
    """The non-empty rows of the veto items formset, in the order listed."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        threshold = str(data.get("threshold") or "").strip()
        total = str(data.get("total") or "").strip()
        if not data.get("atomic") and not threshold and not total:
            continue
        rows.append({"atomic": data.get("atomic"), "threshold": threshold, "total": total})
    return rows


class AssignmentForm(KamForm):
    template = forms.ModelChoiceField(label=_("assessment template"), queryset=Template.objects.filter(
        enabled=True, subject_type=SubjectType.MANAGER))
    subject = forms.ModelChoiceField(label=_("account manager"), queryset=User.objects.filter(
        roles__code="account_manager", is_active=True).distinct().order_by("username"))
    month_from = forms.CharField(label=_("from month"), max_length=7, widget=forms.TextInput(
        attrs={"type": "month"}))
    month_to = forms.CharField(label=_("to month"), max_length=7, required=False, widget=forms.TextInput(
        attrs={"type": "month"}), help_text=_("Empty: until further notice."))


class PeriodForm(KamForm):
    period = forms.CharField(label=_("month"), max_length=7, widget=forms.TextInput(attrs={"type": "month"}))


class WhatIfForm(KamForm):
    """试算: the month, the template to start from and whom to score."""

    period = forms.CharField(label=_("month"), max_length=7, widget=forms.TextInput(attrs={"type": "month"}))
    template = forms.ModelChoiceField(
        label=_("assessment template"), queryset=Template.objects.order_by("name"), required=False,
        help_text=_("Start from this template: its indicators fill the rows below and its assignees are scored."))
    org_unit = forms.ModelChoiceField(
        label=_("organisation unit"), queryset=OrgUnit.objects.order_by("path"), required=False,
        help_text=_("Score the account managers of this unit and below instead of the template's assignees."))


class RunStartForm(KamForm):
    period = forms.CharField(label=_("month"), max_length=7, widget=forms.TextInput(attrs={"type": "month"}))
    refresh_config = forms.BooleanField(
        label=_("re-read the configuration"), required=False,
        help_text=_("Use today's configuration instead of the one recorded by the month's first run."))


class AdjustmentForm(KamForm):
    choice_actions = {"result": "change"}

    result = forms.ModelChoiceField(label=_("assessment result"), queryset=Result.objects.all())
    delta = forms.CharField(label=_("adjustment"), max_length=10,
                            help_text=_("Points added to the total (negative to deduct)."))
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, period: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = self.fields["result"].queryset.filter(period=period).order_by("subject_label")
        self.fields["result"].queryset = qs
        self.fields["result"].label_from_instance = lambda r: f"{r.subject_label} · {r.period} · {r.total}"


def _manager_choices():
    return User.objects.filter(roles__code="account_manager", is_active=True).distinct().order_by("username")


class _ResultsManagers:
    """The data scope of assessment results applied to the account managers themselves."""

    kam_scope = ScopeSpec(module=MODULE_RESULTS, org="org_unit", owner="")


class _ResultsUnits:
    """The data scope of assessment results applied to sections and departments themselves."""

    kam_scope = ScopeSpec(module=MODULE_RESULTS, org="")


def _in_results_scope(queryset, spec: type, user: Any):
    """``queryset`` within the user's "change" scope of assessment results (none without a grant)."""
    q = scope_q(user, spec, "change")  # type: ignore[arg-type]
    return queryset.none() if q is None else queryset.filter(q)


def _unit_label(unit: OrgUnit) -> str:
    return f"{unit.parent.name} / {unit.name}" if unit.parent_id else unit.name


class SubjectChoiceForm(KamForm):
    """Subject type first, then the subject: an account manager, a section or a department within
    the user's scope of assessment results (the service checks the scope again)."""

    subject_type = forms.ChoiceField(label=_("subject type"), choices=SubjectType.choices,
                                     initial=SubjectType.MANAGER, required=False)
    subject = forms.ModelChoiceField(label=_("account manager"), queryset=_manager_choices(), required=False)
    section = forms.ModelChoiceField(label=_("section"), required=False, queryset=OrgUnit.objects.none())
    department = forms.ModelChoiceField(label=_("department"), required=False, queryset=OrgUnit.objects.none())
    period = forms.CharField(label=_("month"), max_length=7, widget=forms.TextInput(attrs={"type": "month"}))

    SUBJECT_FIELDS = {SubjectType.MANAGER: "subject", SubjectType.SECTION: "section",
                      SubjectType.DEPARTMENT: "department"}

    def __init__(self, *args: Any, instance=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if instance is not None:
            for name in ("subject_type", "period", *self.SUBJECT_FIELDS.values()):
                del self.fields[name]
            return
        # The choices follow the scope of assessment results (not of the org or user pages).
        for name, kind in (("section", SubjectType.SECTION), ("department", SubjectType.DEPARTMENT)):
            units = OrgUnit.objects.filter(kind=kind, enabled=True).select_related("parent").order_by("path")
            field = self.fields[name]
            field.queryset = units if self.user is None else _in_results_scope(units, _ResultsUnits, self.user)
            field.label_from_instance = _unit_label
        if self.user is not None:
            self.fields["subject"].queryset = _in_results_scope(_manager_choices(), _ResultsManagers, self.user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "subject_type" not in self.fields:  # editing: subject and month are fixed
            return data
        kind = data["subject_type"] = data.get("subject_type") or SubjectType.MANAGER
        if kind in self.SUBJECT_FIELDS:
            name = self.SUBJECT_FIELDS[kind]
            if data.get(name) is None and name not in self.errors:
                self.add_error(name, _("Choose the subject."))
            data["subject_id"] = data[name].pk if data.get(name) is not None else None
        return data


class BonusForm(SubjectChoiceForm):
    """加分项: extra points of an account manager, a section or a department for a month; subject
    and month are fixed once given."""

    points = forms.CharField(label=_("points"), max_length=10)
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, instance=None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {**kwargs.get("initial", {}), "points": f"{instance.points.normalize():f}",
                                 "reason": instance.reason}
        super().__init__(*args, instance=instance, **kwargs)


class NoteForm(SubjectChoiceForm):
    """非KPI考核信息: free text about the month of an account manager, a section or a department."""

    text = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, instance=None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {**kwargs.get("initial", {}), "text": instance.text}
        super().__init__(*args, instance=instance, **kwargs)


# --- result confirmation and appeals (decision 0026) -------------------------------------------------------------


class AppealForm(KamForm):
    """申诉: the reason, optionally the indicator concerned and the expected score."""

    reason = forms.CharField(label=_("reason for the appeal"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 4}))
    indicator_name = forms.ChoiceField(label=_("indicator concerned"), required=False)
    expected_score = forms.CharField(
        label=_("expected score"), required=False, max_length=20,
        help_text=_("Optional: the score you consider right (of the indicator concerned, or the total)."))

    def __init__(self, *args: Any, indicators: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator_name"].choices = [("", _("(the result as a whole)"))] + [
            (n, n) for n in indicators or []]


class ReasonForm(KamForm):
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


# --- what-if with a brand-new indicator (试算: 新建考核指标 / 新建原子指标) ------------------------------------------

NEW_ATOMIC_ROWS = 4  # saved atomic indicators beside the new one in a new indicator


class WhatIfNewIndicatorForm(KamForm):
    """A new assessment indicator in the draft: its name and weight in the draft, and the weight of
    the new atomic indicator in it (the saved atomic indicators come from their own rows)."""

    name = forms.CharField(label=_("name of the new indicator"), required=False, max_length=100)
    weight = forms.CharField(label=_("weight in the draft"), required=False, max_length=10,
                             help_text=_("Empty: no new indicator."))
    new_weight = forms.CharField(label=_("weight of the new atomic indicator"), required=False, max_length=10,
                                 help_text=_("Empty: the new atomic indicator below is not used."))


class WhatIfNewAtomicForm(AtomicIndicatorForm):
    """A new atomic indicator of a what-if: the fields of 原子指标, checked by the same rule, never saved."""

    class Meta(AtomicIndicatorForm.Meta):
        fields = ["name", "metric", "mode", "target_metric", "missing_policy", "full_score", "score_floor",
                  "score_cap", "deduction_per_unit"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["mode"].initial = "interval"

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        spec = {k: data.get(k) for k in self.Meta.fields}
        spec["metric"] = getattr(data.get("metric"), "pk", None)
        spec["target_metric"] = getattr(data.get("target_metric"), "pk", None)
        return {k: (str(v) if hasattr(v, "as_tuple") else v) for k, v in spec.items() if v not in (None, "")}


AtomicRowFormSet = forms.formset_factory(ComponentRowForm, extra=0, min_num=NEW_ATOMIC_ROWS, max_num=20)
