"""Tables of the task-list pages."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core import clock
from kam.core.tables import BooleanColumn, KamTable

from .models import Reminder, Subscription, TodoItem


class TodoItemTable(KamTable):
    title = tables.Column(linkify=("todo:item_detail", [tables.A("pk")]), verbose_name=pgettext_lazy("todo", "Title"),
                          orderable=True)
    assignee = tables.Column(accessor="assignee__name", verbose_name=pgettext_lazy("todo", "Assignee"), orderable=True,
                             order_by=("assignee__name",))
    assigned_by = tables.Column(accessor="assigned_by__name", verbose_name=_("Assigned by"))
    due_at = tables.DateTimeColumn(verbose_name=_("Due time"), orderable=True, format="Y-m-d H:i")
    done = BooleanColumn(verbose_name=pgettext_lazy("todo", "Done"), orderable=True)

    class Meta(KamTable.Meta):
        model = TodoItem
        fields = ("title", "assignee", "assigned_by", "due_at", "done")

    def render_due_at(self, value, record):
        text = clock.local_text(value)
        if not record.done and value < clock.now():
            return format_html('<span class="text-danger fw-semibold">{} <i class="bi bi-alarm"></i></span>', text)
        return text


class SubscriptionTable(KamTable):
    source = tables.Column(verbose_name=_("Event type"), orderable=True)
    lead_minutes = tables.Column(verbose_name=_("Remind in advance"), orderable=True)
    user = tables.Column(accessor="user__name", verbose_name=_("Subscriber"))
    created_at = tables.DateTimeColumn(verbose_name=_("Subscribed at"), format="Y-m-d H:i")
    actions = tables.TemplateColumn(template_name="todo/_subscription_actions.html", verbose_name=_("Actions"),
                                    orderable=False, empty_values=())

    class Meta(KamTable.Meta):
        model = Subscription
        fields = ("source", "lead_minutes", "user", "created_at", "actions")

    def render_source(self, value, record):
        return str(record)

    def render_lead_minutes(self, value, record):
        return record.lead_display


class ReminderTable(KamTable):
    title = tables.Column(verbose_name=pgettext_lazy("todo", "Title"))
    source = tables.Column(verbose_name=_("Source"))
    due_at = tables.DateTimeColumn(verbose_name=_("Due time"), orderable=True, format="Y-m-d H:i")
    remind_at = tables.DateTimeColumn(verbose_name=_("Remind at"), orderable=True, format="Y-m-d H:i")
    user = tables.Column(accessor="user__name", verbose_name=_("User"))
    read_at = tables.TemplateColumn(template_name="todo/_reminder_read.html", verbose_name=_("Read"),
                                    orderable=False, empty_values=())

    class Meta(KamTable.Meta):
        model = Reminder
        fields = ("title", "source", "due_at", "remind_at", "user", "read_at")

    def render_title(self, value, record):
        if record.url:
            return format_html('<a href="{}">{}</a>', record.url, value)
        return value

    def render_source(self, value, record):
        from .selectors import source_label

        return source_label(value)
