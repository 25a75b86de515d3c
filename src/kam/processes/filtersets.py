"""Filters of the process lists."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import InstanceStatus, ProcessDefinition, ProcessInstance


class InstanceFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Title or business key"), method="filter_q")
    status = df.ChoiceFilter(label=_("Status"), choices=InstanceStatus.choices)
    process = df.CharFilter(label=_("Process"), field_name="version__definition__name", lookup_expr="icontains")

    class Meta:
        model = ProcessInstance
        fields = ["q", "status", "process"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(title__icontains=value) | Q(business_key__icontains=value)) if value else qs


class DefinitionFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Name or code"), method="filter_q")

    class Meta:
        model = ProcessDefinition
        fields = ["q"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else qs
