"""Reads of the process engine that take the user."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from kam.core import clock

from .models import OPEN_TASK_STATUSES, EventAction, HumanTask, ProcessInstance, TaskEvent, TaskStatus

OPEN = OPEN_TASK_STATUSES
# Lists never load the engine state nor the diagram (loaded only when the engine advances).
TASK_LIST_DEFER = ("instance__engine_state", "instance__version__bpmn_xml")
INSTANCE_LIST_DEFER = ("engine_state", "version__bpmn_xml")
# What a task list row shows (the inbox loads no JSON: data, snapshot and node configuration stay out).
TASK_LIST_ONLY = (
    "id", "instance_id", "node_id", "node_name", "engine_task_id", "assignee_id", "delegated_by_id", "seq", "status",
    "due_at", "escalated", "created_at", "claimed_at", "completed_at", "outcome", "version",
    "instance__id", "instance__title", "instance__business_key", "instance__status", "instance__started_at",
    "instance__starter_id", "instance__version_id", "instance__version__id", "instance__version__number",
    "instance__version__definition_id", "instance__version__definition__id", "instance__version__definition__code",
    "instance__version__definition__name", "instance__starter__id", "instance__starter__username",
    "instance__starter__name",
)


def _task_list(qs: QuerySet[HumanTask]) -> QuerySet[HumanTask]:
    return qs.select_related("instance__version__definition", "instance__starter").only(*TASK_LIST_ONLY)


def tasks_visible(user: Any, action: str = "view") -> QuerySet[HumanTask]:
    """Tasks in the user's scope, plus the user's own tasks (an assignee always sees their task)."""
    pk = getattr(user, "pk", None)
    own = HumanTask.objects.filter(Q(assignee_id=pk) | Q(pk__in=HumanTask.candidates.through.objects.filter(
        user_id=pk).values("humantask_id"))) if getattr(user, "is_authenticated", False) else HumanTask.objects.none()
    return (HumanTask.objects.restrict(user, action) | own).distinct()


def tasks_todo(user: Any) -> QuerySet[HumanTask]:
    """我的待办: the user's open tasks, oldest deadline first."""
    return _task_list(HumanTask.objects.filter(assignee_id=user.pk, status__in=OPEN)).order_by(
        "due_at", "created_at", "id")


def tasks_claimable(user: Any) -> QuerySet[HumanTask]:
    """待领取: pool tasks the user is a candidate for and nobody has claimed yet."""
    return _task_list(HumanTask.objects.filter(
        pk__in=HumanTask.candidates.through.objects.filter(user_id=user.pk).values("humantask_id"),
        assignee__isnull=True, status=TaskStatus.OPEN)).order_by("due_at", "created_at", "id")


def tasks_claimed(user: Any) -> QuerySet[HumanTask]:
    """已领取: pool tasks the user claimed and has not finished."""
    return _task_list(HumanTask.objects.filter(assignee_id=user.pk, status=TaskStatus.CLAIMED)).order_by(
        "due_at", "created_at", "id")


def tasks_done(user: Any) -> QuerySet[HumanTask]:
    """我的已办: tasks the user completed."""
    return _task_list(HumanTask.objects.filter(assignee_id=user.pk, status=TaskStatus.DONE)).order_by(
        "-completed_at", "-id")


def instances_visible(user: Any, action: str = "view") -> QuerySet[ProcessInstance]:
    """Instances in the user's scope, plus those the user has (had) a task in or was copied on."""
    if not getattr(user, "is_authenticated", False):
        return ProcessInstance.objects.none()
    took_part = HumanTask.objects.filter(Q(assignee_id=user.pk) | Q(candidates=user.pk)).values("instance_id")
    copied = TaskEvent.objects.filter(target_id=user.pk, action=EventAction.CC).values("instance_id")
    mine = ProcessInstance.objects.filter(Q(pk__in=took_part) | Q(pk__in=copied))
    return (ProcessInstance.objects.restrict(user, action) | mine).distinct()


def copied_to(user: Any) -> QuerySet[TaskEvent]:
    """抄送我的: the copies the user received, newest first."""
    return TaskEvent.objects.filter(target_id=user.pk, action=EventAction.CC).select_related(
        "instance__version__definition", "instance__starter", "actor").defer(*TASK_LIST_DEFER).order_by(
        "-at", "-id")


def node_statistics(user: Any, *, start: dt.date, end: dt.date, definition_id: int | None = None) -> list[dict]:
    """流程监控, per step: tasks received in the period, the average handling time of the finished ones
    and how many went (or are) past their time limit — over the tasks in the user's scope (analyse)."""
    now = clock.now()
    qs = HumanTask.objects.restrict(user, "analyse").filter(
        created_at__date__gte=start, created_at__date__lte=end).exclude(
        status__in=(TaskStatus.PENDING, TaskStatus.CANCELLED))
    if definition_id:
        qs = qs.filter(instance__version__definition_id=definition_id)
    duration = ExpressionWrapper(F("completed_at") - F("created_at"), output_field=DurationField())
    rows = (qs.values("instance__version__definition__name", "node_id")
            .annotate(node_name=Max("node_name"), tasks=Count("id"),
                      done=Count("id", filter=Q(status=TaskStatus.DONE)),
                      open=Count("id", filter=Q(status__in=OPEN)),
                      avg_duration=Avg(duration, filter=Q(status=TaskStatus.DONE)),
                      overdue=Count("id", filter=Q(due_at__lt=Coalesce(F("completed_at"), Value(now)))))
            .order_by("instance__version__definition__name", "node_id"))
    result = []
    for row in rows:
        avg = row["avg_duration"]
        if avg is not None and not isinstance(avg, dt.timedelta):  # some backends answer microseconds
            avg = dt.timedelta(microseconds=float(avg))
        result.append({"process": row["instance__version__definition__name"], "node_id": row["node_id"],
                       "node_name": row["node_name"], "tasks": row["tasks"], "done": row["done"],
                       "open": row["open"], "overdue": row["overdue"],
                       "avg_hours": round(avg.total_seconds() / 3600, 2) if avg is not None else None})
    return result
