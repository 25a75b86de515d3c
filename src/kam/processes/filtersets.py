"""Filters of the process lists (流程监控: process, state, overdue, org, started between)."""

from __future__ import annotations

import django_filters as df
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from kam.core import clock
from kam.org.models import OrgUnit

from .models import (
    OPEN_TASK_STATUSES,
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ServiceCall,
    ServiceCallStatus,
)


class InstanceFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Title or business key"), method="filter_q")
    status = df.ChoiceFilter(label=_("Status"), choices=InstanceStatus.choices)
    process = df.ModelChoiceFilter(label=_("Process"), field_name="version__definition",
                                   queryset=ProcessDefinition.objects.order_by("name"))
    org = df.ModelChoiceFilter(label=_("Organisation unit (and below)"), queryset=OrgUnit.objects.all(),
                               method="filter_org")
    started_from = df.DateFilter(label=_("Started from"), field_name="started_at", lookup_expr="date__gte")
    started_to = df.DateFilter(label=_("Started until"), field_name="started_at", lookup_expr="date__lte")
    overdue = df.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    service_failed = df.BooleanFilter(label=_("Service call failed"), method="filter_service_failed")

    class Meta:
        model = ProcessInstance
        fields = ["q", "status", "process", "org", "started_from", "started_to", "overdue", "service_failed"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(title__icontains=value) | Q(business_key__icontains=value)) if value else qs

    def filter_org(self, qs, name, value):
        return qs.filter(starter_unit__path__startswith=value.path) if value else qs

    def filter_overdue(self, qs, name, value):
        if value is None:
            return qs
        late = HumanTask.objects.filter(instance=OuterRef("pk"), status__in=OPEN_TASK_STATUSES,
                                        due_at__lt=clock.now())
        return qs.filter(Exists(late)) if value else qs.exclude(Exists(late))

    def filter_service_failed(self, qs, name, value):
        if value is None:
            return qs
        failed = ServiceCall.objects.filter(instance=OuterRef("pk"), status=ServiceCallStatus.FAILED)
        return qs.filter(Exists(failed)) if value else qs.exclude(Exists(failed))


class DefinitionFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Name or code"), method="filter_q")

    class Meta:
        model = ProcessDefinition
        fields = ["q"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else qs
