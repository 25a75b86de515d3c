"""The list pages of 工作管理."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kam.core.tables import KamTable

from .models import DoNotDisturb, State, Task, TaskStatus, WorkItem

STATE_TONES = {State.OPEN: "primary", State.DONE: "success", State.CANCELLED: "secondary"}
TASK_TONES = {TaskStatus.PENDING: "secondary", TaskStatus.GENERATING: "info", TaskStatus.GENERATED: "success",
              TaskStatus.FAILED: "danger"}


def badge(tone: str, text) -> str:
    return format_html('<span class="badge text-bg-{}">{}</span>', tone, text)


def dnd_badge(window: DoNotDisturb | None) -> str:
    if window is None:
        return ""
    return format_html(' <span class="badge text-bg-danger kam-dnd" title="{}">{} {}</span>', window.reason,
                       _("Do not disturb until"), timezone.localtime(window.ends_at).strftime("%m-%d %H:%M"))


class WorkItemTable(KamTable):
    select = tables.Column(verbose_name="", accessor="pk", empty_values=(), orderable=False,
                           attrs={"td": {"class": "text-center"}, "th": {"class": "text-center"}})
    title = tables.Column(verbose_name=_("Work name"), linkify=("work:item_detail", [tables.A("pk")]),
                          orderable=True)
    source = tables.Column(verbose_name=_("Work source"), empty_values=())
    channel = tables.Column(verbose_name=_("Work type"))
    customer = tables.Column(verbose_name=_("Customer"), accessor="customer__name", orderable=True,
                             order_by=("customer__name",))
    manager = tables.Column(verbose_name=_("Account manager"), accessor="manager__name", orderable=True,
                            order_by=("manager__name",))
    planned_at = tables.DateTimeColumn(verbose_name=_("Start at"), format="Y-m-d H:i", orderable=True)
    due_at = tables.DateTimeColumn(verbose_name=_("Due at"), format="Y-m-d H:i", orderable=True)
    attempts = tables.Column(verbose_name=_("Attempts"))
    state = tables.Column(verbose_name=_("State"), empty_values=())

    dnd: dict = {}

    class Meta(KamTable.Meta):
        model = WorkItem
        fields = ("select", "title", "source", "channel", "customer", "manager", "planned_at", "due_at", "attempts",
                  "state")

    def render_select(self, record):
        return format_html('<input class="form-check-input" type="checkbox" name="ids" value="{}" '
                           'aria-label="{}">', record.pk, record.title)

    def render_source(self, record):
        if record.task_id:
            return format_html('<a href="{}">{}</a>', reverse("work:task_detail", args=[record.task_id]),
                               record.get_source_display())
        return format_html('<a href="{}">{}</a>', reverse("work:item_detail", args=[record.pk]),
                           record.get_source_display())

    def render_customer(self, record):
        c = record.customer
        link = format_html('<a href="{}">{}</a>', reverse("customers:customer_detail", args=[c.pk]),
                           c.key_number or c.name)
        name = format_html(' <span class="small text-body-secondary">{}</span>', c.name) if c.key_number else ""
        return format_html("{}{}{}", link, name, dnd_badge(self.dnd.get(c.pk)))

    def render_state(self, record):
        text = record.get_state_display()
        if record.state == State.OPEN and record.is_overdue:
            return badge("danger", _("Overdue"))
        if record.state == State.OPEN and record.deferred:
            return badge("warning", _("Deferred"))
        if record.result:
            text = f"{text} · {record.get_result_display()}"
        return badge(STATE_TONES.get(record.state, "secondary"), text)


class DoneWorkItemTable(WorkItemTable):
    completed_at = tables.DateTimeColumn(verbose_name=_("Completed at"), format="Y-m-d H:i", orderable=True)

    class Meta(WorkItemTable.Meta):
        fields = ("title", "source", "channel", "customer", "manager", "due_at", "completed_at", "attempts", "state")
        exclude = ("select", "planned_at")


class TaskTable(KamTable):
    name = tables.Column(verbose_name=_("Task name"), linkify=("work:task_detail", [tables.A("pk")]), orderable=True)
    channel = tables.Column(verbose_name=_("Work type"))
    start_on = tables.DateColumn(verbose_name=_("Start date"), format="Y-m-d", orderable=True)
    due_on = tables.DateColumn(verbose_name=_("Due date"), format="Y-m-d", orderable=True)
    generated_count = tables.Column(verbose_name=_("Work items"))
    skipped = tables.Column(verbose_name=_("Skipped / deferred"), empty_values=(), accessor="pk")
    created_by = tables.Column(verbose_name=_("Created by"), accessor="created_by__name")
    status = tables.Column(verbose_name=_("Status"), orderable=True)

    class Meta(KamTable.Meta):
        model = Task
        fields = ("name", "channel", "start_on", "due_on", "generated_count", "skipped", "created_by", "status")

    def render_skipped(self, record):
        return f"{record.skipped_count} / {record.deferred_count}"

    def render_status(self, record):
        return badge(TASK_TONES.get(record.status, "secondary"), record.get_status_display())


class DndTable(KamTable):
    customer = tables.Column(verbose_name=_("Customer"), accessor="customer__name",
                             linkify=lambda record: reverse("customers:customer_detail", args=[record.customer_id]),
                             orderable=True, order_by=("customer__name",))
    starts_at = tables.DateTimeColumn(verbose_name=_("From"), format="Y-m-d H:i", orderable=True)
    ends_at = tables.DateTimeColumn(verbose_name=_("Until"), format="Y-m-d H:i", orderable=True)
    reason = tables.Column(verbose_name=_("Reason"), default="")
    created_by = tables.Column(verbose_name=_("Entered by"), accessor="created_by__name")
    active = tables.Column(verbose_name=_("Status"), accessor="pk", empty_values=())
    actions = tables.Column(verbose_name="", accessor="pk", empty_values=(), orderable=False)

    class Meta(KamTable.Meta):
        model = DoNotDisturb
        fields = ("customer", "starts_at", "ends_at", "reason", "created_by", "active", "actions")

    def render_active(self, record):
        from kam.core import clock

        now = clock.now()
        if record.ends_at <= now:
            return badge("secondary", _("Over"))
        return badge("danger", _("In force")) if record.starts_at <= now else badge("warning", _("Planned"))

    def render_actions(self, record, table):
        context = getattr(table, "context", None)
        if not context or not context.get("can_change"):
            return ""
        return format_html('<a class="btn btn-sm btn-outline-danger" href="{}">{}</a>',
                           reverse("work:dnd_delete", args=[record.pk]), _("Remove"))
