"""Reads of the process engine that take the user."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import OPEN_TASK_STATUSES, EventAction, HumanTask, ProcessInstance, TaskEvent, TaskStatus

OPEN = OPEN_TASK_STATUSES
# Lists never load the engine state nor the diagram (loaded only when the engine advances).
TASK_LIST_DEFER = ("instance__engine_state", "instance__version__bpmn_xml")
INSTANCE_LIST_DEFER = ("engine_state", "version__bpmn_xml")


def tasks_visible(user: Any, action: str = "view") -> QuerySet[HumanTask]:
    """Tasks in the user's scope, plus the user's own tasks (an assignee always sees their task)."""
    own = HumanTask.objects.filter(assignee_id=getattr(user, "pk", None)) if getattr(
        user, "is_authenticated", False) else HumanTask.objects.none()
    return (HumanTask.objects.restrict(user, action) | own).distinct()


def tasks_todo(user: Any) -> QuerySet[HumanTask]:
    """我的待办: the user's open tasks, oldest deadline first."""
    return HumanTask.objects.filter(assignee_id=user.pk, status__in=OPEN).select_related(
        "instance__version__definition", "instance__starter").defer(*TASK_LIST_DEFER).order_by(
        "due_at", "created_at", "id")


def tasks_done(user: Any) -> QuerySet[HumanTask]:
    """我的已办: tasks the user completed."""
    return HumanTask.objects.filter(assignee_id=user.pk, status=TaskStatus.DONE).select_related(
        "instance__version__definition", "instance__starter").defer(*TASK_LIST_DEFER).order_by(
        "-completed_at", "-id")


def instances_visible(user: Any, action: str = "view") -> QuerySet[ProcessInstance]:
    """Instances in the user's scope, plus those the user has (had) a task in or was copied on."""
    if not getattr(user, "is_authenticated", False):
        return ProcessInstance.objects.none()
    took_part = HumanTask.objects.filter(assignee_id=user.pk).values("instance_id")
    copied = TaskEvent.objects.filter(target_id=user.pk, action=EventAction.CC).values("instance_id")
    mine = ProcessInstance.objects.filter(Q(pk__in=took_part) | Q(pk__in=copied))
    return (ProcessInstance.objects.restrict(user, action) | mine).distinct()


def copied_to(user: Any) -> QuerySet[TaskEvent]:
    """抄送我的: the copies the user received, newest first."""
    return TaskEvent.objects.filter(target_id=user.pk, action=EventAction.CC).select_related(
        "instance__version__definition", "instance__starter", "actor").defer(*TASK_LIST_DEFER).order_by(
        "-at", "-id")
