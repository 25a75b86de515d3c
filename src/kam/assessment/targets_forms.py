"""Forms of 考核目标. They only collect input: the services check every rule and name the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.core.forms import KamForm
from kam.core.querysets import ScopeSpec
from kam.org.models import OrgUnit, User
from kam.org.permissions import scope_q

from .models import MODULE_TARGETS, Metric, TargetDirection, TargetSplitMethod, TargetSubjectType
from .services import MANAGER_ROLE

TIER_HELP = _("At most 2 decimals; target ≤ sprint ≤ challenge (lower is better: target ≥ sprint ≥ challenge).")


class _TargetManagers:
    """The data scope of targets applied to the account managers themselves."""

    kam_scope = ScopeSpec(module=MODULE_TARGETS, org="org_unit", owner="")


class _TargetUnits:
    """The data scope of targets applied to the org units themselves."""

    kam_scope = ScopeSpec(module=MODULE_TARGETS, org="")


def _in_target_scope(queryset, spec: type, user: Any):
    q = scope_q(user, spec, "change")  # type: ignore[arg-type]
    return queryset.none() if q is None else queryset.filter(q)


def _unit_label(unit: OrgUnit) -> str:
    return f"{'　' * unit.depth}{unit.name}"


class TargetForm(KamForm):
    """A target: metric, subject (unit or account manager) and period on creation; the tiers."""

    metric = forms.ModelChoiceField(label=_("metric"), queryset=Metric.objects.filter(enabled=True).order_by("code"))
    subject_type = forms.ChoiceField(label=_("subject type"), choices=TargetSubjectType.choices,
                                     initial=TargetSubjectType.UNIT)
    org_unit = forms.ModelChoiceField(label=_("organisation unit"), required=False, queryset=OrgUnit.objects.none())
    manager = forms.ModelChoiceField(label=_("account manager"), required=False, queryset=User.objects.none())
    period = forms.CharField(label=_("period"), max_length=7,
                             help_text=_("A year (2026), a quarter (2026-Q1) or a month (2026-03)."))
    direction = forms.ChoiceField(label=_("direction"), choices=TargetDirection.choices, initial=TargetDirection.HIGHER,
                                  required=False,
                                  help_text=_("Lower is better for complaints, churn or arrears: the tiers go down "
                                              "and are reached at or below. Fixed once created."))
    target_value = forms.CharField(label=_("target value"), max_length=24, help_text=TIER_HELP)
    sprint_value = forms.CharField(label=_("sprint value"), max_length=24, required=False)
    challenge_value = forms.CharField(label=_("challenge value"), max_length=24, required=False)

    def __init__(self, *args: Any, instance=None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {**kwargs.get("initial", {}), **{
                f: "" if getattr(instance, f) is None else f"{getattr(instance, f).normalize():f}"
                for f in ("target_value", "sprint_value", "challenge_value")}}
        super().__init__(*args, **kwargs)
        if instance is not None:  # metric, subject, period and direction are fixed once created
            for name in ("metric", "subject_type", "org_unit", "manager", "period", "direction"):
                del self.fields[name]
            return
        units = OrgUnit.objects.filter(enabled=True).order_by("path")
        managers = User.objects.filter(roles__code=MANAGER_ROLE, is_active=True).distinct().order_by("username")
        if self.user is not None:
            units = _in_target_scope(units, _TargetUnits, self.user)
            managers = _in_target_scope(managers, _TargetManagers, self.user)
        self.fields["org_unit"].queryset = units
        self.fields["org_unit"].label_from_instance = _unit_label
        self.fields["manager"].queryset = managers
        self.fields["manager"].label_from_instance = lambda u: f"{u.name or u.username} ({u.username})"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "subject_type" not in self.fields:
            return data
        if data.get("subject_type") == TargetSubjectType.MANAGER:
            if data.get("manager") is None and "manager" not in self.errors:
                self.add_error("manager", _("Choose the account manager."))
            data["subject_id"] = data["manager"].pk if data.get("manager") else None
        else:
            if data.get("org_unit") is None and "org_unit" not in self.errors:
                self.add_error("org_unit", _("Choose the organisation unit."))
            data["subject_id"] = data["org_unit"].pk if data.get("org_unit") else None
        return data


class DecomposeForm(KamForm):
    """目标分解: how (the split is chosen first), the method and one value per part."""

    split = forms.ChoiceField(label=_("decomposition"), choices=())
    method = forms.ChoiceField(label=_("decomposition method"), widget=forms.RadioSelect,
                               initial=TargetSplitMethod.EQUAL,
                               choices=[c for c in TargetSplitMethod.choices if c[0]])

    def __init__(self, *args: Any, split_choices=(), slots=(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["split"].choices = list(split_choices)
        self.fields["split"].widget = forms.HiddenInput()
        self.slots = list(slots)
        for slot in self.slots:
            self.fields[f"v_{slot['key']}"] = forms.CharField(
                label=slot["label"], required=False, max_length=24,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm kam-part-value",
                                              "inputmode": "decimal"}))

    def values(self) -> dict[str, str]:
        return {slot["key"]: self.cleaned_data.get(f"v_{slot['key']}", "") for slot in self.slots}

    def value_fields(self):
        return [(slot, self[f"v_{slot['key']}"]) for slot in self.slots]


class PublishForm(KamForm):
    period = forms.CharField(label=_("period"), max_length=7, help_text=_(
        "A month, or a quarter or year to publish each of its months."))
    metric = forms.ModelChoiceField(label=_("metric"), queryset=Metric.objects.filter(
        tier_metrics__isnull=False).order_by("code"))


class TierMetricsForm(KamForm):
    """目标发布设置: the metrics receiving a measured metric's published targets, per tier."""

    metric = forms.ModelChoiceField(label=_("measured metric"), queryset=Metric.objects.filter(
        enabled=True).order_by("code"))
    target_metric = forms.ModelChoiceField(label=_("metric of the target value"), required=False,
                                           queryset=Metric.objects.filter(enabled=True).order_by("code"))
    sprint_metric = forms.ModelChoiceField(label=_("metric of the sprint value"), required=False,
                                           queryset=Metric.objects.filter(enabled=True).order_by("code"))
    challenge_metric = forms.ModelChoiceField(label=_("metric of the challenge value"), required=False,
                                              queryset=Metric.objects.filter(enabled=True).order_by("code"))
    create_missing = forms.BooleanField(label=_("Create a metric for each tier left empty"), required=False,
                                        help_text=_("Named after the measured metric and applying to the same "
                                                    "kinds of subject."))

    def __init__(self, *args: Any, instance=None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {**kwargs.get("initial", {}), "metric": instance.metric,
                                 "target_metric": instance.target_metric, "sprint_metric": instance.sprint_metric,
                                 "challenge_metric": instance.challenge_metric}
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["metric"].disabled = True
