"""Tables of the process pages."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core import clock
from kam.core.tables import KamTable

from .models import HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance, TaskEvent

STATUS_TONES = {
    InstanceStatus.RUNNING: "primary", InstanceStatus.COMPLETED: "success", InstanceStatus.REJECTED: "danger",
    InstanceStatus.WITHDRAWN: "secondary", InstanceStatus.CANCELLED: "secondary",
}


class StatusColumn(tables.Column):
    def render(self, value, record):
        return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_TONES.get(record.status, "secondary"),
                           record.get_status_display())


class TaskTable(KamTable):
    node_name = tables.Column(linkify=("processes:task_detail", [tables.A("pk")]),
                              verbose_name=pgettext_lazy("process", "Step"))
    instance = tables.Column(verbose_name=_("Process instance"), orderable=False)
    process = tables.Column(accessor="instance__version__definition__name", verbose_name=_("Process"))
    starter = tables.Column(accessor="instance__starter__name", verbose_name=_("Submitted by"))
    created_at = tables.DateTimeColumn(verbose_name=_("Received at"), orderable=True, format="Y-m-d H:i")
    due_at = tables.DateTimeColumn(verbose_name=pgettext_lazy("process", "Due at"), orderable=True, format="Y-m-d H:i")
    status = tables.Column(verbose_name=_("Status"))
    outcome = tables.Column(verbose_name=_("Outcome"))
    completed_at = tables.DateTimeColumn(verbose_name=_("Handled at"), orderable=True, format="Y-m-d H:i")

    class Meta(KamTable.Meta):
        model = HumanTask
        fields = ("node_name", "instance", "process", "starter", "created_at", "due_at", "status", "outcome",
                  "completed_at")

    def render_due_at(self, value, record):
        if value is None:
            return "—"
        if record.is_open and value < clock.now():
            return format_html('<span class="text-danger fw-semibold">{} <i class="bi bi-alarm"></i></span>',
                               value.strftime("%Y-%m-%d %H:%M"))
        return value.strftime("%Y-%m-%d %H:%M")


class InstanceTable(KamTable):
    title = tables.Column(linkify=("processes:instance_detail", [tables.A("pk")]),
                          verbose_name=pgettext_lazy("process", "Title"), empty_values=())
    process = tables.Column(accessor="version__definition__name", verbose_name=_("Process"))
    business_key = tables.Column(orderable=True)
    status = StatusColumn(orderable=True)
    starter = tables.Column(accessor="starter__name", verbose_name=_("Submitted by"))
    started_at = tables.DateTimeColumn(orderable=True, format="Y-m-d H:i")
    ended_at = tables.DateTimeColumn(orderable=True, format="Y-m-d H:i")

    class Meta(KamTable.Meta):
        model = ProcessInstance
        fields = ("title", "process", "business_key", "status", "starter", "started_at", "ended_at")

    def render_title(self, value, record):
        return str(record)


class DefinitionTable(KamTable):
    name = tables.Column(linkify=("processes:definition_detail", [tables.A("pk")]), orderable=True)
    code = tables.Column(orderable=True)
    category = tables.Column(orderable=True)
    active = tables.Column(verbose_name=_("Active version"), empty_values=(), orderable=False)

    class Meta(KamTable.Meta):
        model = ProcessDefinition
        fields = ("name", "code", "category", "active")

    def render_active(self, value, record):
        number = getattr(record, "active_number", None)  # annotated by the list view: no query per row
        return f"v{number}" if number else "—"


class CopyTable(KamTable):
    instance = tables.Column(linkify=("processes:instance_detail", [tables.A("instance_id")]),
                             verbose_name=_("Process instance"))
    node_name = tables.Column(verbose_name=pgettext_lazy("process", "Step"))
    actor = tables.Column(accessor="actor__name", verbose_name=_("Copied by"), default="—")
    opinion = tables.Column(verbose_name=pgettext_lazy("process", "Opinion"))
    at = tables.DateTimeColumn(verbose_name=_("Copied at"), orderable=True, format="Y-m-d H:i")

    class Meta(KamTable.Meta):
        model = TaskEvent
        fields = ("instance", "node_name", "actor", "opinion", "at")
