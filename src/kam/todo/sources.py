"""The task-list sources this app registers: process tasks and leader-assigned items.

Other apps register theirs the same way (``kam.core.registry.register_todo_source``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.registry import TodoEntry, TodoSource, key_ids, register_todo_source

from .models import ITEMS_MODULE, SOURCE_ASSIGNED, SOURCE_PROCESS, TodoItem


def process_task_entries(user: Any, until: dt.datetime) -> Iterator[TodoEntry]:
    """The user's open process tasks (待办) due before ``until``, and those with no time limit."""
    from kam.processes.selectors import tasks_todo

    tasks = tasks_todo(user).filter(Q(due_at__lt=until) | Q(due_at__isnull=True))
    for task in tasks.iterator(chunk_size=200):
        yield TodoEntry(
            source=SOURCE_PROCESS, key=f"humantask:{task.pk}", title=f"{task.node_name} · {task.instance}",
            due_at=task.due_at, url=reverse("processes:task_detail", args=[task.pk]),
            detail=_("Submitted by %(name)s") % {"name": task.instance.starter.name or task.instance.starter.username},
        )


def _item_entry(item: TodoItem, *, with_assignee: bool = False) -> TodoEntry:
    detail = item.detail[:200]
    if with_assignee:
        who = item.assignee.name or item.assignee.username
        detail = _("Assigned to %(name)s") % {"name": who} + (f" · {detail}" if detail else "")
    elif item.assigned_by_id and item.assigned_by_id != item.assignee_id:
        who = item.assigned_by.name or item.assigned_by.username
        detail = _("Assigned by %(name)s") % {"name": who} + (f" · {detail}" if detail else "")
    return TodoEntry(source=SOURCE_ASSIGNED, key=item.key, title=item.title, due_at=item.due_at,
                     url=reverse("todo:item_detail", args=[item.pk]), detail=detail)


def assigned_entries(user: Any, until: dt.datetime) -> Iterator[TodoEntry]:
    """The open items assigned to the user, due before ``until``."""
    items = TodoItem.objects.filter(assignee_id=user.pk, done=False, due_at__lt=until).select_related(
        "assignee", "assigned_by").order_by("due_at", "id")
    for item in items.iterator(chunk_size=200):
        yield _item_entry(item)


def assigned_events(user: Any, start: dt.datetime, until: dt.datetime) -> Iterator[TodoEntry]:
    """Open assigned items due in [start, until) within the subscriber's scope (R-WORK-4)."""
    items = TodoItem.objects.restrict(user, "view").filter(
        done=False, due_at__gte=start, due_at__lt=until).select_related("assignee", "assigned_by").order_by(
        "due_at", "id")
    for item in items.iterator(chunk_size=200):
        yield _item_entry(item, with_assignee=True)


def open_process_tasks(keys: Sequence[str]) -> dict[str, dt.datetime | None]:
    """Which process tasks (``humantask:<id>``) are still open, and their time limit."""
    from kam.processes.models import OPEN_TASK_STATUSES, HumanTask

    ids = key_ids(keys)
    rows = HumanTask.objects.filter(pk__in=list(ids), status__in=OPEN_TASK_STATUSES).values_list("pk", "due_at")
    return {ids[pk]: due for pk, due in rows}


def open_assigned_items(keys: Sequence[str]) -> dict[str, dt.datetime | None]:
    """Which leader-assigned items (``todoitem:<id>``) are still open, and their due time."""
    ids = key_ids(keys)
    rows = TodoItem.objects.filter(pk__in=list(ids), done=False).values_list("pk", "due_at")
    return {ids[pk]: due for pk, due in rows}


def register_sources() -> None:
    register_todo_source(TodoSource(code=SOURCE_PROCESS, label=gettext_lazy("Process tasks"),
                                    entries=process_task_entries, module=None,  # own tasks: no grant needed
                                    current=open_process_tasks))
    register_todo_source(TodoSource(code=SOURCE_ASSIGNED, label=gettext_lazy("Assigned by leaders"),
                                    entries=assigned_entries, events=assigned_events, module=ITEMS_MODULE,
                                    current=open_assigned_items))
