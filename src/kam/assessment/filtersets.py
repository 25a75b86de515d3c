"""Filters of the assessment lists — one FilterSet each for the page, the API and the export."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.org.models import OrgUnit

from .models import (
    Adjustment,
    AssessmentNote,
    AssessmentRun,
    Assignment,
    AtomicIndicator,
    Bonus,
    Indicator,
    Metric,
    MetricValue,
    ResultStatus,
    RunStatus,
    ScoreDetail,
    SubjectType,
    Template,
)
from .models import Result as AssessmentResult


def _within(qs, field: str, unit_id):
    unit = OrgUnit.objects.filter(pk=unit_id).only("path").first()
    return qs.filter(**{f"{field}__path__startswith": unit.path}) if unit else qs.none()


class NameFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Name"), method="filter_q")
    enabled = df.BooleanFilter(label=_("Enabled"))

    def filter_q(self, qs, name, value):
        return qs.filter(name__icontains=value) if value else qs


class MetricFilterSet(NameFilterSet):
    subject_type = df.ChoiceFilter(label=_("Subject type"), choices=SubjectType.choices, method="filter_type")

    class Meta:
        model = Metric
        fields = ["q", "enabled", "source", "is_percentage", "subject_type"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else qs

    def filter_type(self, qs, name, value):
        return qs.filter(**{f"for_{value}": True}) if value else qs


class AtomicIndicatorFilterSet(NameFilterSet):
    class Meta:
        model = AtomicIndicator
        fields = ["q", "enabled", "metric", "mode"]


class IndicatorFilterSet(NameFilterSet):
    class Meta:
        model = Indicator
        fields = ["q", "enabled"]


class TemplateFilterSet(NameFilterSet):
    valid_in = df.CharFilter(label=_("Valid in month (YYYY-MM)"), method="filter_valid_in")

    class Meta:
        model = Template
        fields = ["q", "enabled", "subject_type", "valid_in"]

    def filter_valid_in(self, qs, name, value):
        from .calendar import month_end, parse_month

        try:
            first, last = parse_month(value), month_end(value)
        except (ValueError, IndexError):
            return qs.none()
        return qs.filter(valid_from__lte=last).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))


class SubjectFilterSet(df.FilterSet):
    subject_type = df.ChoiceFilter(label=_("Subject type"), choices=SubjectType.choices)
    subject = df.NumberFilter(label=_("Subject (id)"), field_name="subject_id")
    org = df.NumberFilter(label=_("Within unit (id)"), method="filter_org")
    q = df.CharFilter(label=_("Name"), method="filter_q")

    def filter_org(self, qs, name, value):
        return _within(qs, "org_unit", value)

    def filter_q(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(Q(user__name__icontains=value) | Q(user__username__icontains=value)
                         | Q(org_unit__name__icontains=value))


class MetricValueFilterSet(SubjectFilterSet):
    period = df.CharFilter(label=_("Month"))
    metric = df.CharFilter(label=_("Metric (code)"), field_name="metric__code")

    class Meta:
        model = MetricValue
        fields = ["period", "metric", "subject_type", "subject", "org", "q"]


class AssignmentFilterSet(SubjectFilterSet):
    month = df.CharFilter(label=_("Month in force (YYYY-MM)"), method="filter_month")

    class Meta:
        model = Assignment
        fields = ["template", "subject_type", "subject", "org", "q", "month"]

    def filter_month(self, qs, name, value):
        return qs.filter(month_from__lte=value).filter(Q(month_to="") | Q(month_to__gte=value))


class ResultFilterSet(SubjectFilterSet):
    period = df.CharFilter(label=_("Month"))
    status = df.ChoiceFilter(label=_("Status"), choices=ResultStatus.choices)

    class Meta:
        model = AssessmentResult
        fields = ["period", "subject_type", "subject", "org", "q", "status", "template"]

    def filter_q(self, qs, name, value):
        return qs.filter(subject_label__icontains=value) if value else qs


class ScoreDetailFilterSet(df.FilterSet):
    period = df.CharFilter(label=_("Month"), field_name="result__period")
    subject = df.NumberFilter(label=_("Subject (id)"), field_name="result__subject_id")
    subject_type = df.ChoiceFilter(label=_("Subject type"), choices=SubjectType.choices,
                                   field_name="result__subject_type")
    org = df.NumberFilter(label=_("Within unit (id)"), method="filter_org")
    q = df.CharFilter(label=_("Name"), method="filter_q")

    class Meta:
        model = ScoreDetail
        fields = ["period", "subject", "subject_type", "org", "q"]

    def filter_org(self, qs, name, value):
        return _within(qs, "result__org_unit", value)

    def filter_q(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(Q(result__subject_label__icontains=value) | Q(atomic_name__icontains=value)
                         | Q(indicator_name__icontains=value))


class AdjustmentFilterSet(SubjectFilterSet):
    period = df.CharFilter(label=_("Month"))

    class Meta:
        model = Adjustment
        fields = ["period", "subject_type", "subject", "org", "q"]


class RunFilterSet(df.FilterSet):
    period = df.CharFilter(label=_("Month"))
    status = df.ChoiceFilter(label=_("Status"), choices=RunStatus.choices)

    class Meta:
        model = AssessmentRun
        fields = ["period", "status", "trigger"]


class BonusFilterSet(SubjectFilterSet):
    period = df.CharFilter(label=_("Month"))

    class Meta:
        model = Bonus
        fields = ["period", "subject_type", "subject", "org", "q"]


class NoteFilterSet(SubjectFilterSet):
    period = df.CharFilter(label=_("Month"))

    class Meta:
        model = AssessmentNote
        fields = ["period", "subject_type", "subject", "org", "q"]


# --- result confirmation and appeals (decision 0026) -------------------------------------------------------------

from .models import Appeal, AppealStatus, ConfirmationState, Publication, ResultConfirmation  # noqa: E402

CONFIRMATION_FILTER_CHOICES = [*ConfirmationState.choices, ("none", _("Not published"))]


class ResultConfirmationFilterSet(ResultFilterSet):
    """考核结果查询 with the confirmation state (the list annotates ``confirmation_state``)."""

    confirmation = df.ChoiceFilter(label=_("Confirmation state"), choices=CONFIRMATION_FILTER_CHOICES,
                                   method="filter_confirmation")

    class Meta(ResultFilterSet.Meta):
        fields = [*ResultFilterSet.Meta.fields, "confirmation"]

    def filter_confirmation(self, qs, name, value):
        if not value:
            return qs
        if value == "none":
            return qs.filter(confirmation_state__isnull=True)
        return qs.filter(confirmation_state=value)


class ConfirmationFilterSet(SubjectFilterSet):
    period = df.CharFilter(label=_("Month"))
    state = df.ChoiceFilter(label=_("Confirmation state"), choices=ConfirmationState.choices)

    class Meta:
        model = ResultConfirmation
        fields = ["period", "state", "subject", "org", "q"]


class AppealFilterSet(SubjectFilterSet):
    period = df.CharFilter(label=_("Month"))
    status = df.ChoiceFilter(label=_("Status"), choices=AppealStatus.choices)

    class Meta:
        model = Appeal
        fields = ["period", "status", "subject", "org", "q"]


class PublicationFilterSet(df.FilterSet):
    period = df.CharFilter(label=_("Month"))

    class Meta:
        model = Publication
        fields = ["period"]
