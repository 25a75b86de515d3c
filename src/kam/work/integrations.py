"""What 工作管理 gives the rest of the platform: task-list sources (工作列表), built-in assessment
metrics and the audit trail."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core import clock
from kam.core.registry import (
    BuiltinMetric,
    TodoEntry,
    TodoSource,
    key_ids,
    register_builtin_metric,
    register_todo_source,
)

from . import selectors
from .models import Appointment, Channel, State, Task, TaskStatus, WorkItem


def work_item_entries(user: Any, until: dt.datetime) -> Iterator[TodoEntry]:
    """The user's open work items due before ``until`` (overdue included) that may be worked now."""
    rows = (WorkItem.objects.filter(manager_id=user.pk, state=State.OPEN, due_at__lt=until, planned_at__lt=until)
            .select_related("customer").order_by("due_at", "pk")[:200])
    for item in rows:
        yield TodoEntry(source="work_item", key=f"workitem:{item.pk}",
                        title=f"{item.get_channel_display()} · {item.customer.name} · {item.title}",
                        due_at=item.due_at, url=reverse("work:execute", args=[item.pk]),
                        detail=_("Due %(due)s") % {"due": clock.local_text(item.due_at)})


def appointment_entries(user: Any, until: dt.datetime) -> Iterator[TodoEntry]:
    """预约 that have come due: the work item is back on the list."""
    rows = (Appointment.objects.filter(work_item__manager_id=user.pk, work_item__state=State.OPEN, done=False,
                                       at__lt=until)
            .select_related("work_item", "work_item__customer").order_by("at", "pk")[:200])
    for a in rows:
        item = a.work_item
        yield TodoEntry(source="appointment", key=f"appointment:{a.pk}",
                        title=_("Appointment: %(channel)s %(customer)s") % {
                            "channel": item.get_channel_display(), "customer": item.customer.name},
                        due_at=a.at, url=reverse("work:execute", args=[item.pk]), detail=a.note)


def _campaign_at(day: dt.date) -> dt.datetime:
    """A campaign time point's moment: 09:00 local on its day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


def campaign_entries(user: Any, until: dt.datetime) -> Iterator[TodoEntry]:
    """The start and due dates of the tasks the user made (campaign time points); closed ones drop out."""
    today = timezone.localtime(until).date()
    rows = (Task.objects.filter(created_by_id=user.pk, due_on__gte=today - dt.timedelta(days=7))
            .exclude(status__in=(TaskStatus.FAILED, TaskStatus.CLOSED)).order_by("start_on", "pk")[:100])
    for task in rows:
        url = reverse("work:task_detail", args=[task.pk])
        for key, day, label in (("start", task.start_on, _("Task starts: %(name)s")),
                                ("due", task.due_on, _("Task due: %(name)s"))):
            at = _campaign_at(day)
            if at < until:
                yield TodoEntry(source="campaign", key=f"task:{task.pk}:{key}", title=label % {"name": task.name},
                                due_at=at, url=url)


def visit_events(user: Any, start: dt.datetime, until: dt.datetime) -> Iterator[TodoEntry]:
    """拜访: visit work items due in ``[start, until)`` within the user's data scope (R-WORK-4)."""
    rows = (WorkItem.objects.restrict(user, "view")
            .filter(channel=Channel.VISIT, state=State.OPEN, due_at__gte=start, due_at__lt=until)
            .select_related("customer", "manager").order_by("due_at", "pk")[:500])
    for item in rows:
        yield TodoEntry(source="visit", key=f"visit:{item.pk}",
                        title=_("Visit: %(customer)s (%(manager)s)") % {
                            "customer": item.customer.name, "manager": item.manager.name},
                        due_at=item.due_at, url=reverse("work:item_detail", args=[item.pk]), detail=item.title)


def open_work_items(keys: Sequence[str]) -> dict[str, dt.datetime | None]:
    """Which work items (``work_item`` and ``visit`` keys) are still open, and their due time."""
    ids = key_ids(keys)
    rows = WorkItem.objects.filter(pk__in=list(ids), state=State.OPEN).values_list("pk", "due_at")
    return {ids[pk]: due for pk, due in rows}


def open_appointments(keys: Sequence[str]) -> dict[str, dt.datetime | None]:
    ids = key_ids(keys)
    rows = Appointment.objects.filter(pk__in=list(ids), done=False, work_item__state=State.OPEN).values_list(
        "pk", "at")
    return {ids[pk]: at for pk, at in rows}


def open_campaign_points(keys: Sequence[str]) -> dict[str, dt.datetime | None]:
    by_task: dict[int, list[str]] = defaultdict(list)
    for key in keys:
        parts = key.split(":")
        if len(parts) == 3 and parts[1].isdigit():
            by_task[int(parts[1])].append(key)
    out: dict[str, dt.datetime | None] = {}
    for pk, start, due in (Task.objects.filter(pk__in=list(by_task))
                           .exclude(status__in=(TaskStatus.FAILED, TaskStatus.CLOSED))
                           .values_list("pk", "start_on", "due_on")):
        for key in by_task[pk]:
            out[key] = _campaign_at(start if key.endswith(":start") else due)
    return out


def register_integrations() -> None:
    from kam import audit

    from .models import CallSession, DoNotDisturb, Execution

    register_todo_source(TodoSource("work_item", gettext_lazy("Work items"), entries=work_item_entries,
                                    module="work", current=open_work_items))
    register_todo_source(TodoSource("appointment", gettext_lazy("Appointments"), entries=appointment_entries,
                                    module="work", current=open_appointments))
    register_todo_source(TodoSource("campaign", gettext_lazy("Campaign time points"), entries=campaign_entries,
                                    module="work_tasks", current=open_campaign_points))
    register_todo_source(TodoSource("visit", gettext_lazy("Visits"), events=visit_events, module="work",
                                    current=open_work_items))

    register_builtin_metric(BuiltinMetric("work_calls", gettext_lazy("Outbound calls made"),
                                          gettext_lazy("calls"), compute=selectors.metric_calls))
    register_builtin_metric(BuiltinMetric("work_call_success_rate", gettext_lazy("Outbound call success rate"),
                                          "%", is_percentage=True, compute=selectors.metric_call_success_rate))
    register_builtin_metric(BuiltinMetric("work_visits", gettext_lazy("Visits made"), gettext_lazy("visits"),
                                          compute=selectors.metric_visits))
    register_builtin_metric(BuiltinMetric("work_done_on_time", gettext_lazy("Work items done on time"),
                                          gettext_lazy("items"), compute=selectors.metric_done_on_time))

    for model in (Task, WorkItem, Execution, DoNotDisturb, Appointment, CallSession):
        audit.register(model)
