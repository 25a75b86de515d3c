"""Filters of 工作管理 — one FilterSet each for the page, the API and the export."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import (
    Appointment,
    CallSession,
    Channel,
    DoNotDisturb,
    Execution,
    Result,
    Source,
    State,
    Task,
    TaskStatus,
    WorkItem,
)


def _date(label, field, lookup):
    return df.DateFilter(label=label, field_name=field, lookup_expr=lookup,
                         widget=forms.DateInput(attrs={"type": "date"}))


class _WorkItemBase(df.FilterSet):
    source = df.ChoiceFilter(label=_("Work source"), choices=Source.choices)
    channel = df.ChoiceFilter(label=_("Work type"), choices=Channel.choices)
    customer_name = df.CharFilter(label=_("Customer name or number"), method="filter_customer")
    manager_name = df.CharFilter(label=_("Account manager"), method="filter_manager")
    task = df.NumberFilter(label=_("Task"), field_name="task_id", widget=forms.HiddenInput)
    customer = df.NumberFilter(label=_("Customer"), field_name="customer_id", widget=forms.HiddenInput)

    def filter_customer(self, qs, name, value):
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(customer__name__icontains=value) | Q(customer__key_number=value))

    def filter_manager(self, qs, name, value):
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(manager__name__icontains=value) | Q(manager__username=value))


class OpenWorkItemFilterSet(_WorkItemBase):
    """未完成工作查询: source, type, customer, manager, due dates."""

    due_from = _date(_("Due from"), "due_at", "date__gte")
    due_to = _date(_("Due to"), "due_at", "date__lte")

    class Meta:
        model = WorkItem
        fields = ["source", "channel", "customer_name", "manager_name", "due_from", "due_to", "task", "customer"]


class DoneWorkItemFilterSet(_WorkItemBase):
    """已完成工作查询: also the state (completed / cancelled), the result and the completion dates."""

    state = df.ChoiceFilter(label=_("State"), choices=[(State.DONE.value, State.DONE.label),
                                                       (State.CANCELLED.value, State.CANCELLED.label)])
    result = df.ChoiceFilter(label=_("Result"), choices=Result.choices)
    completed_from = _date(_("Completed from"), "completed_at", "date__gte")
    completed_to = _date(_("Completed to"), "completed_at", "date__lte")

    class Meta:
        model = WorkItem
        fields = ["source", "channel", "customer_name", "manager_name", "state", "result", "completed_from",
                  "completed_to", "task", "customer"]


class WorkItemFilterSet(_WorkItemBase):
    """Every filter of both lists (the API)."""

    state = df.ChoiceFilter(label=_("State"), choices=State.choices)
    result = df.ChoiceFilter(label=_("Result"), choices=Result.choices)
    due_from = _date(_("Due from"), "due_at", "date__gte")
    due_to = _date(_("Due to"), "due_at", "date__lte")
    completed_from = _date(_("Completed from"), "completed_at", "date__gte")
    completed_to = _date(_("Completed to"), "completed_at", "date__lte")

    class Meta:
        model = WorkItem
        fields = ["source", "channel", "customer_name", "manager_name", "state", "result", "due_from", "due_to",
                  "completed_from", "completed_to", "task", "customer"]


class TaskFilterSet(df.FilterSet):
    name = df.CharFilter(label=_("Task name"), lookup_expr="icontains")
    channel = df.ChoiceFilter(label=_("Work type"), choices=Channel.choices)
    status = df.ChoiceFilter(label=_("Status"), choices=TaskStatus.choices)
    start_from = _date(_("Starts from"), "start_on", "gte")
    start_to = _date(_("Starts to"), "start_on", "lte")

    class Meta:
        model = Task
        fields = ["name", "channel", "status", "start_from", "start_to"]


class ExecutionFilterSet(df.FilterSet):
    work_item = df.NumberFilter(field_name="work_item_id")
    channel = df.ChoiceFilter(label=_("Work type"), choices=Channel.choices)
    result = df.ChoiceFilter(label=_("Result"), choices=Result.choices)
    executed_from = _date(_("Executed from"), "executed_at", "date__gte")
    executed_to = _date(_("Executed to"), "executed_at", "date__lte")

    class Meta:
        model = Execution
        fields = ["work_item", "channel", "result", "executed_from", "executed_to"]


class DndFilterSet(df.FilterSet):
    customer_name = df.CharFilter(label=_("Customer name"), field_name="customer__name", lookup_expr="icontains")
    customer = df.NumberFilter(field_name="customer_id", widget=forms.HiddenInput)
    active = df.BooleanFilter(label=_("Not yet over"), method="filter_active")

    class Meta:
        model = DoNotDisturb
        fields = ["customer_name", "active", "customer"]

    def filter_active(self, qs, name, value):
        from kam.core import clock

        if value is None:
            return qs
        return qs.filter(ends_at__gt=clock.now()) if value else qs.filter(ends_at__lte=clock.now())


class AppointmentFilterSet(df.FilterSet):
    work_item = df.NumberFilter(field_name="work_item_id")
    done = df.BooleanFilter()

    class Meta:
        model = Appointment
        fields = ["work_item", "done"]


class CallSessionFilterSet(df.FilterSet):
    class Meta:
        model = CallSession
        fields = ["user"]
