"""Filters of 考核目标 and 目标达成 — one FilterSet each for the page, the API and the export."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import targetsplit as ts
from .filtersets import _within
from .models import Metric, Target, TargetDirection, TargetPeriodKind, TargetSubjectType, TierReached


class _TargetFilters(df.FilterSet):
    q = df.CharFilter(label=_("Subject name"), method="filter_q")
    metric = df.ModelChoiceFilter(label=_("Metric"), queryset=Metric.objects.order_by("code"))
    period = df.CharFilter(label=_("Period"), method="filter_period")
    subject_type = df.ChoiceFilter(label=_("Subject type"), choices=TargetSubjectType.choices, empty_label=_("All"))
    org = df.NumberFilter(label=_("Within unit (id)"), method="filter_org")
    direction = df.ChoiceFilter(label=_("Direction"), choices=TargetDirection.choices, empty_label=_("All"))

    def filter_q(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(Q(user__name__icontains=value) | Q(user__username__icontains=value)
                         | Q(subject_type="unit", org_unit__name__icontains=value))

    def filter_period(self, qs, name, value):
        return qs.filter(period=ts.normalise_period(value)) if value else qs

    def filter_org(self, qs, name, value):
        return _within(qs, "org_unit", value)


class TargetFilterSet(_TargetFilters):
    period_kind = df.ChoiceFilter(label=_("Period kind"), choices=TargetPeriodKind.choices, empty_label=_("All"))
    subject = df.NumberFilter(label=_("Subject (id)"), field_name="subject_id")
    parent = df.NumberFilter(label=_("Decomposed from (id)"), field_name="parent_id")
    top = df.BooleanFilter(label=_("Top level only"), field_name="parent", lookup_expr="isnull")

    class Meta:
        model = Target
        fields = ["q", "metric", "period", "period_kind", "subject_type", "direction", "subject", "org", "parent",
                  "top"]


class TargetAttainmentFilterSet(_TargetFilters):
    """目标达成: the targets of one period (last month when not given) with the actual and the tier
    reached, computed in SQL (``tier`` filters on it)."""

    tier = df.ChoiceFilter(label=_("Tier reached"), choices=TierReached.choices, field_name="tier_reached",
                           empty_label=_("All"))

    class Meta:
        model = Target
        fields = ["period", "metric", "subject_type", "direction", "org", "q", "tier"]

    def filter_queryset(self, queryset):
        """Targets of the period (default: last month), with actual and tier reached, then the
        other filters (the tier filter works on the computed tier)."""
        from . import calendar as cal
        from .targets import with_attainment

        period = ts.normalise_period(self.form.cleaned_data.get("period") or cal.previous_month())
        if ts.period_kind(period) is None:
            return queryset.none()
        return super().filter_queryset(with_attainment(queryset.filter(period=period), period))
