"""Writes of the process engine: definitions and versions, instances, tasks and timers.

Every write is atomic. The engine state of an instance is loaded only when the engine advances
(start, completing a step, rejecting to an earlier step); task lists read ``HumanTask`` rows.
Completing a task locks the instance and the task row (``select_for_update``) and checks the
task's row version, so of two people completing one task at once one wins and the other is told
the task has already been handled.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.dispatch import Signal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kam.core import clock
from kam.core.querysets import check_in_scope
from kam.org.models import User
from kam.org.permissions import has_perm

from . import assignees, engine
from .models import (
    DESIGN_MODULE,
    MODULE,
    OPEN_TASK_STATUSES,
    EventAction,
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    TaskEvent,
    TaskOutcome,
    TaskStatus,
    Timer,
    TimerKind,
    VersionStatus,
)

OPEN = OPEN_TASK_STATUSES
ALREADY_HANDLED = gettext_noop("This task has already been handled.")

# Sent after an instance ends (completed / rejected / withdrawn / cancelled), inside the
# transaction: ``instance`` (its ``snapshot`` holds the business record as submitted) and
# ``status``. A business app restores its record from the snapshot on rejection or withdrawal.
instance_ended = Signal()


# --- definitions ---------------------------------------------------------------------------------


def _require(user: Any, module: str, action: str = "change") -> None:
    if not has_perm(user, module, action):
        raise PermissionDenied(_("You have no permission for this action."))


def definition_save(*, user: User | None, xml: str, node_config: dict | None = None, name: str = "",
                    category: str = "") -> ProcessVersion:
    """Save a diagram as a new draft version of its definition (the BPMN process id is the code)."""
    if user is not None:
        _require(user, DESIGN_MODULE)
    try:
        diagram = engine.parse(xml)
    except engine.DiagramError as exc:
        raise ValidationError({"bpmn_xml": _("Invalid diagram: %(error)s") % {"error": exc}}) from exc
    node_config = node_config if node_config is not None else {}
    problems = assignees.validate_node_config(node_config, diagram.node_ids())
    if problems:
        raise ValidationError({"node_config": problems})
    with transaction.atomic():
        definition, created = ProcessDefinition.objects.select_for_update().get_or_create(
            code=diagram.process_id[:60], defaults={"name": (name or diagram.name)[:100], "category": category})
        if not created and (name or category):
            definition.name = (name or definition.name)[:100]
            definition.category = category or definition.category
            definition.save()
        number = (definition.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        return ProcessVersion.objects.create(
            definition=definition, number=number, bpmn_xml=xml if isinstance(xml, str) else xml.decode(),
            node_config=node_config, created_by=user, created_at=clock.now())


def version_activate(*, user: User | None, version: ProcessVersion) -> ProcessVersion:
    """Make ``version`` the one new instances start on; the previously active one is retired."""
    if user is not None:
        _require(user, DESIGN_MODULE)
    with transaction.atomic():
        ProcessVersion.objects.filter(definition=version.definition_id, status=VersionStatus.ACTIVE).exclude(
            pk=version.pk).update(status=VersionStatus.RETIRED)
        version.status = VersionStatus.ACTIVE
        version.save(update_fields=["status"])
    return version


def version_retire(*, user: User | None, version: ProcessVersion) -> ProcessVersion:
    """No new instance starts on ``version``; its running instances go on."""
    if user is not None:
        _require(user, DESIGN_MODULE)
    version.status = VersionStatus.RETIRED
    version.save(update_fields=["status"])
    return version


# --- instances -----------------------------------------------------------------------------------


def _event(instance: ProcessInstance, action: str, *, actor: User | None = None, task: HumanTask | None = None,
           opinion: str = "", target: User | None = None, node_id: str = "", node_name: str = "") -> TaskEvent:
    return TaskEvent.objects.create(
        instance=instance, task=task, actor=actor, target=target, action=action, opinion=opinion,
        node_id=task.node_id if task else node_id, node_name=task.node_name if task else node_name, at=clock.now())


def _hours(value: Any) -> dt.timedelta | None:
    return dt.timedelta(hours=float(value)) if value else None


def _open_task(task: HumanTask, cfg: dict) -> None:
    """Make ``task`` open now: deadline, reminder and their timers."""
    now = clock.now()
    task.status = TaskStatus.OPEN
    task.created_at = now
    limit = _hours(cfg.get("time_limit_hours"))
    task.remind_every = _hours(cfg.get("remind_every_hours"))
    task.due_at = now + limit if limit else None
    task.next_remind_at = now + task.remind_every if task.remind_every else None
    task.save()
    if task.due_at:
        Timer.objects.create(instance=task.instance, task=task, kind=TimerKind.ESCALATE, due_at=task.due_at)
    if task.next_remind_at:
        Timer.objects.create(instance=task.instance, task=task, kind=TimerKind.REMIND, due_at=task.next_remind_at)


def _node_cfg(instance: ProcessInstance, node_id: str) -> dict:
    return (instance.version.node_config or {}).get(node_id) or {}


def _dispatch(instance: ProcessInstance, workflow, etask) -> bool:
    """Create the human tasks of one ready engine task; False when it passed automatically."""
    node_id = etask.task_spec.bpmn_id
    node_name = etask.task_spec.bpmn_name or node_id
    cfg = _node_cfg(instance, node_id)
    users = assignees.resolve(cfg.get("approver") or {"kind": "starter"}, base=instance.starter, node_id=node_id,
                              data=instance.data)
    if not users and cfg.get("no_approver", "admin") == "admin":
        users = assignees.administrators()
    if not users:
        _event(instance, EventAction.AUTO_PASS, node_id=node_id, node_name=node_name)
        engine.complete(workflow, str(etask.id), {"outcome": TaskOutcome.APPROVE})
        return False
    sequential = cfg.get("mode", "any") == "sequential"
    for i, user in enumerate(users):
        task = HumanTask(instance=instance, node_id=node_id, node_name=node_name, engine_task_id=str(etask.id),
                         assignee=user, seq=i, created_at=clock.now(), status=TaskStatus.PENDING)
        if sequential and i:
            task.save()
        else:
            _open_task(task, cfg)
            _event(instance, EventAction.ASSIGN, task=task, target=user)
    return True


def _sync(instance: ProcessInstance, workflow) -> None:
    """After the engine moved: create tasks for new ready steps, save state, end if finished."""
    for _round in range(100):  # auto-passed steps may make further steps ready
        moved = False
        for etask in engine.ready_user_tasks(workflow):
            if HumanTask.objects.filter(instance=instance, engine_task_id=str(etask.id),
                                        status__in=(*OPEN, TaskStatus.PENDING)).exists():
                continue
            if not _dispatch(instance, workflow, etask):
                moved = True
                break
        if not moved:
            break
    instance.current_nodes = engine.waiting_node_ids(workflow)
    instance.data = engine.workflow_data(workflow) or instance.data
    instance.engine_state = engine.dump(workflow)
    if engine.is_completed(workflow) and instance.status == InstanceStatus.RUNNING:
        _end(instance, InstanceStatus.COMPLETED)
        _event(instance, EventAction.COMPLETE)
    instance.save()


def _end(instance: ProcessInstance, status: str) -> None:
    instance.status = status
    instance.ended_at = clock.now()
    instance.current_nodes = []
    instance.save()
    open_tasks = HumanTask.objects.filter(instance=instance, status__in=(*OPEN, TaskStatus.PENDING))
    Timer.objects.filter(task__in=open_tasks, fired_at__isnull=True).delete()
    open_tasks.update(status=TaskStatus.CANCELLED, version=F("version") + 1)
    instance_ended.send(sender=ProcessInstance, instance=instance, status=status)


def instance_start(*, user: User, definition_code: str, business_key: str, data: dict | None = None,
                   snapshot: dict | None = None, title: str = "") -> ProcessInstance:
    """Start the active version of ``definition_code`` for ``business_key`` and dispatch its first steps."""
    _require(user, MODULE)
    definition = ProcessDefinition.objects.filter(code=definition_code).first()
    if definition is None:
        raise ValidationError({"definition_code": _("Unknown process %(code)s.") % {"code": definition_code}})
    version = definition.active_version
    if version is None:
        raise ValidationError({"definition_code": _("Process %(name)s has no active version.")
                               % {"name": definition.name}})
    if not business_key or len(business_key) > 100:
        raise ValidationError({"business_key": _("Give a business key of at most 100 characters.")})
    data = dict(data or {})
    with transaction.atomic():
        instance = ProcessInstance.objects.create(
            version=version, business_key=business_key, title=title[:200], data=data,
            snapshot=snapshot if snapshot is not None else data, starter=user, starter_unit=user.org_unit,
            started_at=clock.now())
        _event(instance, EventAction.START, actor=user)
        with _engine_errors():
            diagram = engine.parse(version.bpmn_xml)
            workflow = engine.new_workflow(diagram, data)
            engine.advance(workflow)
            _sync(instance, workflow)
    return instance


@contextmanager
def _engine_errors() -> Iterator[None]:
    """A diagram that cannot go on (e.g. a condition naming data the instance lacks) is a clear
    message, and the transaction rolls back."""
    try:
        yield
    except engine.DiagramError as exc:
        raise ValidationError(_("The process cannot go on: %(error)s") % {"error": exc}) from exc


def _lock(task: HumanTask) -> tuple[ProcessInstance, HumanTask]:
    instance = ProcessInstance.objects.select_for_update().get(pk=task.instance_id)
    locked = HumanTask.objects.select_for_update().get(pk=task.pk)
    locked.instance = instance
    return instance, locked


def _check_open(task: HumanTask, expected_version: int | None) -> None:
    """The task still waits for an answer (and is the version the caller saw)."""
    if not task.is_open or task.instance.status != InstanceStatus.RUNNING or (
            expected_version is not None and task.version != expected_version):
        raise ValidationError(_(ALREADY_HANDLED))


def _check_actionable(user: User, task: HumanTask, expected_version: int | None) -> None:
    _check_open(task, expected_version)
    if task.assignee_id != user.pk:
        raise PermissionDenied(_("This task is not assigned to you."))


def _close(task: HumanTask, outcome: str, opinion: str) -> None:
    task.status = TaskStatus.DONE
    task.outcome = outcome
    task.opinion = opinion
    task.completed_at = clock.now()
    task.version += 1
    task.save()
    Timer.objects.filter(task=task, fired_at__isnull=True).delete()


def task_complete(*, user: User, task: HumanTask, action: str = "approve", opinion: str = "",
                  target_node: str | None = None, expected_version: int | None = None) -> HumanTask:
    """同意 / 驳回 a task. ``reject`` without ``target_node`` ends the instance as rejected (back to the
    submitter, whose record is restored from the snapshot); with it, the process returns to that
    earlier step."""
    if action not in (TaskOutcome.APPROVE, TaskOutcome.REJECT):
        raise ValidationError({"action": _("Unknown action.")})
    opinion = (opinion or "").strip()
    if action == TaskOutcome.REJECT and not opinion:
        raise ValidationError({"opinion": _("Give the reason for the rejection.")})
    with transaction.atomic():
        instance, task = _lock(task)
        _check_actionable(user, task, expected_version)
        if task.delegated_by_id:  # 委派: the delegate answers, the task goes back to its owner
            owner = task.delegated_by
            task.assignee, task.delegated_by = owner, None
            task.version += 1
            task.save()
            _event(instance, EventAction.RESOLVE, actor=user, task=task, target=owner, opinion=opinion)
            return task
        _close(task, action, opinion)
        _event(instance, action, actor=user, task=task, opinion=opinion)
        siblings = HumanTask.objects.filter(instance=instance, engine_task_id=task.engine_task_id,
                                            status__in=(*OPEN, TaskStatus.PENDING)).order_by("seq")
        cfg = _node_cfg(instance, task.node_id)
        if action == TaskOutcome.APPROVE:
            mode = cfg.get("mode", "any")
            if mode == "sequential":
                nxt = siblings.filter(status=TaskStatus.PENDING).first()
                if nxt:
                    _open_task(nxt, cfg)
                    _event(instance, EventAction.ASSIGN, task=nxt, target=nxt.assignee)
                    return task
            elif mode == "all" and siblings.exists():
                return task
            _cancel_tasks(siblings)
            for cc_spec in cfg.get("cc") or []:
                for target in assignees.resolve(cc_spec, base=instance.starter, node_id=task.node_id,
                                                data=instance.data):
                    _event(instance, EventAction.CC, task=task, target=target)
            with _engine_errors():
                workflow = engine.load(instance.engine_state)
                engine.complete(workflow, task.engine_task_id, {"outcome": action, task.node_id: action})
                _sync(instance, workflow)
            return task
        _cancel_tasks(siblings)
        if target_node:
            with _engine_errors():
                workflow = engine.load(instance.engine_state)
                if target_node == task.node_id or not engine.reset_to(workflow, target_node):
                    raise ValidationError({"target_node": _("The process has not passed step %(node)s.")
                                           % {"node": target_node}})
                _sync(instance, workflow)
        else:
            _end(instance, InstanceStatus.REJECTED)
    return task


def _cancel_tasks(qs) -> None:
    Timer.objects.filter(task__in=qs, fired_at__isnull=True).delete()
    qs.update(status=TaskStatus.CANCELLED, version=F("version") + 1)


def task_transfer(*, user: User, task: HumanTask, to_user: User, opinion: str = "",
                  expected_version: int | None = None) -> HumanTask:
    """转办: hand the task over to ``to_user``."""
    if not to_user.is_active:
        raise ValidationError({"to_user": _("This user is disabled.")})
    with transaction.atomic():
        instance, task = _lock(task)
        if task.assignee_id != user.pk:
            check_in_scope(user, task, "change")  # someone else's task: a process administrator only
        _check_open(task, expected_version)
        if to_user.pk == task.assignee_id:
            raise ValidationError({"to_user": _("The task is already assigned to this user.")})
        task.assignee = to_user
        task.version += 1
        task.save()
        _event(instance, EventAction.TRANSFER, actor=user, task=task, target=to_user, opinion=opinion)
    return task


def task_delegate(*, user: User, task: HumanTask, to_user: User, opinion: str = "",
                  expected_version: int | None = None) -> HumanTask:
    """委派: ask ``to_user`` to handle the task; their answer brings it back to ``user``."""
    if not to_user.is_active:
        raise ValidationError({"to_user": _("This user is disabled.")})
    with transaction.atomic():
        instance, task = _lock(task)
        _check_actionable(user, task, expected_version)
        if task.delegated_by_id:
            raise ValidationError(_("A delegated task cannot be delegated again."))
        if to_user.pk == user.pk:
            raise ValidationError({"to_user": _("The task is already assigned to this user.")})
        task.delegated_by, task.assignee = user, to_user
        task.version += 1
        task.save()
        _event(instance, EventAction.DELEGATE, actor=user, task=task, target=to_user, opinion=opinion)
    return task


def task_add_signer(*, user: User, task: HumanTask, to_user: User, position: str = "after",
                    opinion: str = "") -> HumanTask:
    """加签: add ``to_user`` to the step of ``task``. In a sequential (依次) step ``before`` lets them
    approve first (the task waits), ``after`` right after; in 会签 / 或签 they approve alongside."""
    if position not in ("before", "after"):
        raise ValidationError({"position": _("Unknown position.")})
    if not to_user.is_active:
        raise ValidationError({"to_user": _("This user is disabled.")})
    with transaction.atomic():
        instance, task = _lock(task)
        _check_actionable(user, task, None)
        step = HumanTask.objects.filter(instance=instance, engine_task_id=task.engine_task_id)
        if step.filter(assignee=to_user, status__in=(*OPEN, TaskStatus.PENDING)).exists():
            raise ValidationError({"to_user": _("The task is already assigned to this user.")})
        cfg = _node_cfg(instance, task.node_id)
        new = HumanTask(instance=instance, node_id=task.node_id, node_name=task.node_name,
                        engine_task_id=task.engine_task_id, assignee=to_user, created_at=clock.now(),
                        status=TaskStatus.PENDING)
        if cfg.get("mode", "any") == "sequential":
            shift_from = task.seq if position == "before" else task.seq + 1
            step.filter(seq__gte=shift_from).update(seq=F("seq") + 1)
            new.seq = shift_from
            if position == "before":
                task.refresh_from_db()
                task.status = TaskStatus.PENDING
                task.version += 1
                task.save()
                Timer.objects.filter(task=task, fired_at__isnull=True).delete()
                _open_task(new, cfg)
            else:
                new.save()
        else:
            new.seq = (step.aggregate(n=Max("seq"))["n"] or 0) + 1
            _open_task(new, cfg)
        _event(instance, EventAction.ADD_SIGNER, actor=user, task=task, target=to_user, opinion=opinion)
    return new


def task_remove_signer(*, user: User, task: HumanTask, removed: HumanTask, opinion: str = "") -> HumanTask:
    """减签: take another approver's open or waiting task out of the step of ``task``."""
    with transaction.atomic():
        instance, task = _lock(task)
        _check_actionable(user, task, None)
        removed = HumanTask.objects.select_for_update().get(pk=removed.pk)
        if (removed.engine_task_id != task.engine_task_id or removed.pk == task.pk
                or removed.status not in (*OPEN, TaskStatus.PENDING)):
            raise ValidationError(_("Only another approver still waiting at this step can be removed."))
        _cancel_tasks(HumanTask.objects.filter(pk=removed.pk))
        _event(instance, EventAction.REMOVE_SIGNER, actor=user, task=task, target=removed.assignee, opinion=opinion)
    return removed


def task_copy(*, user: User, task: HumanTask, to_users: list[User], opinion: str = "") -> int:
    """抄送: let ``to_users`` read the instance (it appears under their 抄送我的); returns how many."""
    with transaction.atomic():
        instance, task = _lock(task)
        if task.assignee_id != user.pk and instance.starter_id != user.pk:
            raise PermissionDenied(_("This task is not assigned to you."))
        targets = [u for u in to_users if u.is_active]
        for target in targets:
            _event(instance, EventAction.CC, actor=user, task=task, target=target, opinion=opinion)
    return len(targets)


def instance_withdraw(*, user: User, instance: ProcessInstance, opinion: str = "") -> ProcessInstance:
    """撤回: the submitter takes back a running instance; the record returns to its snapshot."""
    with transaction.atomic():
        instance = ProcessInstance.objects.select_for_update().get(pk=instance.pk)
        if instance.starter_id != user.pk:
            raise PermissionDenied(_("Only the submitter may withdraw."))
        if instance.status != InstanceStatus.RUNNING:
            raise ValidationError(_("The process has already ended."))
        _end(instance, InstanceStatus.WITHDRAWN)
        _event(instance, EventAction.WITHDRAW, actor=user, opinion=opinion)
    return instance


def instance_urge(*, user: User, instance: ProcessInstance) -> int:
    """催办 by the submitter: a reminder on every open task of the instance; returns how many."""
    with transaction.atomic():
        if instance.starter_id != user.pk:
            check_in_scope(user, instance, "change")
        tasks = list(HumanTask.objects.filter(instance=instance, status__in=OPEN))
        for task in tasks:
            _event(instance, EventAction.REMIND, actor=user, task=task, target=task.assignee)
    return len(tasks)


# --- timers --------------------------------------------------------------------------------------


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def timers_fire_due(worker: str = "") -> int:
    """Fire every due timer once (a compare-and-set on ``fired_at`` claims it); returns how many fired."""
    now = clock.now()
    worker = worker or _worker_name()
    fired = 0
    due = list(Timer.objects.filter(fired_at__isnull=True, due_at__lte=now).values_list("pk", flat=True)[:500])
    for pk in due:
        with transaction.atomic():
            claimed = Timer.objects.filter(pk=pk, fired_at__isnull=True).update(fired_at=now, claimed_by=worker)
            if claimed != 1:
                continue
            timer = Timer.objects.select_related("task", "instance").get(pk=pk)
            _fire(timer)
            fired += 1
    return fired


def _fire(timer: Timer) -> None:
    task = timer.task
    if task is None:
        return
    ProcessInstance.objects.select_for_update().filter(pk=timer.instance_id).first()  # same lock order as tasks
    task = HumanTask.objects.select_for_update(of=("self",)).select_related("instance").get(pk=task.pk)
    if not task.is_open or task.instance.status != InstanceStatus.RUNNING:
        return
    instance = task.instance
    if timer.kind == TimerKind.REMIND:
        _event(instance, EventAction.REMIND, task=task, target=task.assignee)
        if task.remind_every:
            task.next_remind_at = timer.due_at + task.remind_every
            if task.due_at is None or task.next_remind_at < task.due_at:
                Timer.objects.create(instance=instance, task=task, kind=TimerKind.REMIND, due_at=task.next_remind_at)
            else:
                task.next_remind_at = None
            task.save(update_fields=["next_remind_at"])
    elif timer.kind == TimerKind.ESCALATE:
        cfg = _node_cfg(instance, task.node_id)
        base = task.assignee or instance.starter
        targets = assignees.resolve(cfg.get("escalate_to") or {"kind": "superior"}, base=base, node_id=task.node_id,
                                    data=instance.data)
        target = next((u for u in targets if u.pk != task.assignee_id), None)
        task.escalated = True
        if target is not None:
            task.assignee = target
        task.version += 1
        task.save()
        _event(instance, EventAction.ESCALATE, task=task, target=target)


def timers_sweep() -> str:
    """The periodic job: fire due process timers."""
    return f"fired {timers_fire_due()}"
