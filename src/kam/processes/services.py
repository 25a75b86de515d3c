"""Writes of the process engine: definitions and versions, instances, tasks and timers.

Every write is atomic. The engine state of an instance is loaded only when the engine advances
(start, completing a step, rejecting to an earlier step); task lists read ``HumanTask`` rows.
Completing a task locks the instance and the task row (``select_for_update``) and checks the
task's row version, so of two people completing one task at once one wins and the other is told
the task has already been handled.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Max
from django.dispatch import Signal
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kam.core import clock
from kam.core.querysets import check_in_scope
from kam.org.models import User
from kam.org.permissions import has_perm

from . import assignees, connectors, engine, schedule, stepdata
from .models import (
    DESIGN_MODULE,
    MODULE,
    OPEN_TASK_STATUSES,
    DispatchCursor,
    EventAction,
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    ServiceCall,
    ServiceCallStatus,
    TaskEvent,
    TaskOutcome,
    TaskStatus,
    Timer,
    TimerKind,
    VersionStatus,
)

OPEN = OPEN_TASK_STATUSES
logger = logging.getLogger(__name__)
ALREADY_HANDLED = gettext_noop("This task has already been handled.")

# Sent after an instance ends (completed / rejected / withdrawn / cancelled), inside the
# transaction: ``instance`` (its ``snapshot`` holds the business record as submitted) and
# ``status``. A business app restores its record from the snapshot on rejection or withdrawal.
instance_ended = Signal()
# Sent after the engine moved a running instance (started, a step passed, sent back or rejected to
# an earlier step), inside the transaction: ``instance`` (its ``current_nodes`` are the new steps).
# A business app keeps its readable state (e.g. an application's stage) in step with it.
instance_advanced = Signal()


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
    problems = assignees.validate_node_config(node_config, list(diagram.user_tasks), list(diagram.service_tasks))
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
            node_config=node_config, created_by=user, created_at=clock.now(),
            start_timer=diagram.start_timer[:200])


def version_activate(*, user: User | None, version: ProcessVersion) -> ProcessVersion:
    """Make ``version`` the one new instances start on; the previously active one is retired."""
    if user is not None:
        _require(user, DESIGN_MODULE)
    with transaction.atomic():
        if user is not None:
            check_in_scope(user, version, "change")
        ProcessVersion.objects.filter(definition=version.definition_id, status=VersionStatus.ACTIVE).exclude(
            pk=version.pk).update(status=VersionStatus.RETIRED)
        version.status = VersionStatus.ACTIVE
        version.next_start_at = _next_start(version, clock.now())
        version.save(update_fields=["status", "next_start_at"])
    return version


def _next_start(version: ProcessVersion, after: dt.datetime) -> dt.datetime | None:
    if not version.start_timer:
        return None
    try:
        return schedule.next_after(version.start_timer, after, timezone.get_default_timezone())
    except schedule.ScheduleError:
        return None


def version_retire(*, user: User | None, version: ProcessVersion) -> ProcessVersion:
    """No new instance starts on ``version``; its running instances go on."""
    if user is not None:
        _require(user, DESIGN_MODULE)
    with transaction.atomic():
        if user is not None:
            check_in_scope(user, version, "change")
        version.status = VersionStatus.RETIRED
        version.next_start_at = None
        version.save(update_fields=["status", "next_start_at"])
    return version


# --- instances -----------------------------------------------------------------------------------


def _event(instance: ProcessInstance, action: str, *, actor: User | None = None, task: HumanTask | None = None,
           opinion: str = "", target: User | None = None, node_id: str = "", node_name: str = "",
           data: dict | None = None) -> TaskEvent:
    return TaskEvent.objects.create(
        instance=instance, task=task, actor=actor, target=target, action=action, opinion=opinion, data=data or {},
        node_id=task.node_id if task else node_id, node_name=task.node_name if task else node_name, at=clock.now())


def _signers_values(instance: ProcessInstance, task: HumanTask, fields: list[dict]) -> dict[str, list]:
    """``{<field>_all: [value of each approver, in the order they approved]}`` for a step several
    people approve (会签 / 依次): the step's plain ``<field>`` holds the last approver's value."""
    events = TaskEvent.objects.filter(instance=instance, action=EventAction.APPROVE,
                                      task__engine_task_id=task.engine_task_id).order_by("at", "pk")
    rows = [e.data or {} for e in events]
    return {f"{f['name']}_all": [row.get(f["name"]) for row in rows] for f in fields if f.get("name")}


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


def node_config(instance: ProcessInstance, node_id: str) -> dict:
    """The configuration of step ``node_id`` in the instance's version."""
    return (instance.version.node_config or {}).get(node_id) or {}


_node_cfg = node_config


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
    rule = cfg.get("dispatch", "all")
    if rule != "all":
        _dispatch_one(instance, cfg, rule, users, node_id, node_name, str(etask.id))
        return True
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


def _pick(instance: ProcessInstance, rule: str, users: list[User], node_id: str) -> User:
    """The candidate a round-robin (persistent cursor) or least-loaded (fewest open tasks) rule picks."""
    if rule == "round_robin":
        cursor, _created = DispatchCursor.objects.get_or_create(version_id=instance.version_id, node_id=node_id)
        cursor = DispatchCursor.objects.select_for_update().get(pk=cursor.pk)
        user = users[cursor.position % len(users)]
        cursor.position = (cursor.position + 1) % len(users)
        cursor.save(update_fields=["position"])
        return user
    load = dict(HumanTask.objects.filter(assignee__in=users, status__in=OPEN).values_list("assignee")
                .annotate(n=Count("id")).values_list("assignee", "n"))
    return min(users, key=lambda u: load.get(u.pk, 0))  # min keeps the first of equals (resolver order)


def _dispatch_one(instance: ProcessInstance, cfg: dict, rule: str, users: list[User], node_id: str,
                  node_name: str, engine_task_id: str) -> HumanTask:
    """工作派发 of a step with one task: to a pool of candidates, or to one of them by rule."""
    task = HumanTask(instance=instance, node_id=node_id, node_name=node_name, engine_task_id=engine_task_id,
                     created_at=clock.now())
    if rule == "pool":
        _open_task(task, cfg)
        task.candidates.set(users)
        _event(instance, EventAction.ASSIGN, task=task)
    else:
        task.assignee = _pick(instance, rule, users, node_id)
        _open_task(task, cfg)
        _event(instance, EventAction.ASSIGN, task=task, target=task.assignee)
    return task


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
    ready = {str(t.id) for t in engine.ready_user_tasks(workflow)}
    _cancel_tasks(HumanTask.objects.filter(instance=instance, status__in=(*OPEN, TaskStatus.PENDING)).exclude(
        engine_task_id__in=ready).exclude(engine_task_id__startswith="svc:"))  # e.g. left by a boundary timer
    waiting = engine.waiting_events(workflow)
    _sync_timers(instance, engine.waiting_timers(workflow))
    instance.current_nodes = engine.waiting_node_ids(workflow)
    instance.data = engine.workflow_data(workflow) or instance.data
    instance.engine_state = engine.dump(workflow)
    _sync_service_calls(instance, waiting)
    if engine.is_completed(workflow) and instance.status == InstanceStatus.RUNNING:
        _end(instance, InstanceStatus.COMPLETED)
        _event(instance, EventAction.COMPLETE)
    instance.save()
    if instance.status == InstanceStatus.RUNNING:
        instance_advanced.send(sender=ProcessInstance, instance=instance)


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
                   snapshot: dict | None = None, title: str = "", require_module: bool = True) -> ProcessInstance:
    """Start the active version of ``definition_code`` for ``business_key`` and dispatch its first steps.
    ``require_module=False``: a business app's service starts it after checking its own module's
    permission (e.g. anyone who may ask for customer data starts its approval)."""
    if require_module:
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
    with transaction.atomic():
        return _start_version(version, user, business_key=business_key, data=data, snapshot=snapshot, title=title)


def _start_version(version: ProcessVersion, user: User, *, business_key: str, data: dict | None,
                   snapshot: dict | None = None, title: str = "", opinion: str = "") -> ProcessInstance:
    data = dict(data or {})
    instance = ProcessInstance.objects.create(
        version=version, business_key=business_key, title=title[:200], data=data,
        snapshot=snapshot if snapshot is not None else data, starter=user, starter_unit=user.org_unit,
        started_at=clock.now())
    _event(instance, EventAction.START, actor=user, opinion=opinion)
    with _engine_errors():
        workflow = engine.new_workflow(_diagram(version), data)
        engine.advance(workflow)
        _sync(instance, workflow)
    return instance


_DIAGRAMS: dict[tuple[int, int], engine.Diagram] = {}


def _diagram(version: ProcessVersion) -> engine.Diagram:
    """The parsed diagram of a version (a version's diagram never changes: cached by id and text)."""
    key = (version.pk, hash(version.bpmn_xml))
    diagram = _DIAGRAMS.get(key)
    if diagram is None:
        diagram = engine.parse(version.bpmn_xml)
        if len(_DIAGRAMS) > 200:
            _DIAGRAMS.clear()
        _DIAGRAMS[key] = diagram
    return diagram


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


def _check_allowed(instance: ProcessInstance, task: HumanTask, action: str) -> None:
    """The step's configuration allows ``action`` (退回, 转办, … may be switched off per step)."""
    if action not in assignees.allowed_actions(_node_cfg(instance, task.node_id)):
        raise ValidationError({"action": _("This step does not allow this action.")})


def _close(task: HumanTask, outcome: str, opinion: str) -> None:
    task.status = TaskStatus.DONE
    task.outcome = outcome
    task.opinion = opinion
    task.completed_at = clock.now()
    task.version += 1
    task.save()
    Timer.objects.filter(task=task, fired_at__isnull=True).delete()


def task_complete(*, user: User, task: HumanTask, action: str = "approve", opinion: str = "",
                  target_node: str | None = None, expected_version: int | None = None,
                  data: dict | None = None) -> HumanTask:
    """同意 / 驳回 a task. ``reject`` without ``target_node`` ends the instance as rejected (back to the
    submitter, whose record is restored from the snapshot); with it, the process returns to that
    earlier step. ``data``: the values of the step's declared ``fields`` (``stepdata``), checked when
    the step is approved, merged into the instance data (following gateways read them) and kept on
    the history entry."""
    if action not in (TaskOutcome.APPROVE, TaskOutcome.REJECT):
        raise ValidationError({"action": _("Unknown action.")})
    opinion = (opinion or "").strip()
    if action == TaskOutcome.REJECT and not opinion:
        raise ValidationError({"opinion": _("Give the reason for the rejection.")})
    with transaction.atomic():
        instance, task = _lock(task)
        _check_actionable(user, task, expected_version)
        _check_allowed(instance, task, action)
        if task.delegated_by_id:  # 委派: the delegate answers, the task goes back to its owner
            owner = task.delegated_by
            task.assignee, task.delegated_by = owner, None
            task.version += 1
            task.save()
            _event(instance, EventAction.RESOLVE, actor=user, task=task, target=owner, opinion=opinion)
            return task
        values = {}
        if action == TaskOutcome.APPROVE:
            values = stepdata.clean(_node_cfg(instance, task.node_id).get("fields"), data)
            if values:
                instance.data = {**(instance.data or {}), **values}
                instance.save(update_fields=["data"])
        _close(task, action, opinion)
        _event(instance, action, actor=user, task=task, opinion=opinion, data=values)
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
            if cfg.get("fields") and mode in ("all", "sequential"):
                # 会签 / 依次 with fields: the gateways also read every approver's values of this round
                signed = _signers_values(instance, task, cfg.get("fields") or [])
                instance.data = {**(instance.data or {}), **signed}
                instance.save(update_fields=["data"])
                values = {**values, **signed}
            for cc_spec in cfg.get("cc") or []:
                for target in assignees.resolve(cc_spec, base=instance.starter, node_id=task.node_id,
                                                data=instance.data):
                    _event(instance, EventAction.CC, task=task, target=target)
            if task.engine_task_id.startswith("svc:"):  # a work order (工单) answers its service call
                call = ServiceCall.objects.select_for_update().get(pk=int(task.engine_task_id[4:]))
                _service_done(instance, call, {"outcome": action, task.node_id: action, "work_order_opinion": opinion,
                                               **values})
                return task
            with _engine_errors():
                workflow = engine.load(instance.engine_state)
                engine.complete(workflow, task.engine_task_id, {"outcome": action, task.node_id: action, **values})
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


def previous_node(task: HumanTask) -> tuple[str, str] | None:
    """(id, name) of the step the instance passed just before ``task``'s step, if any (退回 goes there)."""
    prev = (HumanTask.objects.filter(instance_id=task.instance_id, status=TaskStatus.DONE,
                                     outcome=TaskOutcome.APPROVE, completed_at__lte=task.created_at)
            .exclude(node_id=task.node_id).order_by("-completed_at", "-id").values_list("node_id", "node_name")
            .first())
    return tuple(prev) if prev else None


def task_send_back(*, user: User, task: HumanTask, opinion: str = "",
                   expected_version: int | None = None) -> HumanTask:
    """退回: send the instance one step back, to the step it passed just before this one, for rework.
    Unlike 驳回 it never ends the instance; the first step has nowhere to go back to."""
    opinion = (opinion or "").strip()
    if not opinion:
        raise ValidationError({"opinion": _("Give the reason for sending back.")})
    with transaction.atomic():
        instance, task = _lock(task)
        _check_actionable(user, task, expected_version)
        _check_allowed(instance, task, TaskOutcome.SEND_BACK)
        if task.delegated_by_id:
            raise ValidationError(_("A delegated task can only be approved or rejected."))
        prev = previous_node(task)
        if prev is None:
            raise ValidationError({"action": _("This is the first step: there is no earlier step to send back to.")})
        _close(task, TaskOutcome.SEND_BACK, opinion)
        _event(instance, EventAction.SEND_BACK, actor=user, task=task, opinion=opinion)
        _cancel_tasks(HumanTask.objects.filter(instance=instance, engine_task_id=task.engine_task_id,
                                               status__in=(*OPEN, TaskStatus.PENDING)))
        with _engine_errors():
            workflow = engine.load(instance.engine_state)
            if not engine.reset_to(workflow, prev[0]):
                raise ValidationError({"action": _("The process has not passed step %(node)s.") % {"node": prev[1]}})
            _sync(instance, workflow)
    return task


def task_claim(*, user: User, task: HumanTask) -> HumanTask:
    """领取: take a pool task. Of two candidates claiming at once one gets it, the other is told who did."""
    with transaction.atomic():
        instance, task = _lock(task)
        if task.status not in OPEN or instance.status != InstanceStatus.RUNNING:
            raise ValidationError(_(ALREADY_HANDLED))
        if not task.candidates.filter(pk=user.pk).exists():
            raise PermissionDenied(_("You are not a candidate for this task."))
        claimed = HumanTask.objects.filter(pk=task.pk, assignee__isnull=True, status=TaskStatus.OPEN).update(
            assignee=user, status=TaskStatus.CLAIMED, claimed_at=clock.now(), version=F("version") + 1)
        if claimed != 1:
            holder = HumanTask.objects.filter(pk=task.pk).values_list("assignee__name", flat=True).first()
            raise ValidationError(_("This task has already been claimed by %(name)s.") % {"name": holder or "—"})
        task.refresh_from_db()
        _event(instance, EventAction.CLAIM, actor=user, task=task)
    return task


def task_release(*, user: User, task: HumanTask, opinion: str = "") -> HumanTask:
    """释放: give a claimed pool task back to the pool."""
    with transaction.atomic():
        instance, task = _lock(task)
        _check_actionable(user, task, None)
        if task.status != TaskStatus.CLAIMED or not task.candidates.exists():
            raise ValidationError(_("Only a task claimed from a pool can be released."))
        task.assignee, task.status, task.claimed_at = None, TaskStatus.OPEN, None
        task.version += 1
        task.save()
        _event(instance, EventAction.RELEASE, actor=user, task=task, opinion=opinion)
    return task


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
        if task.assignee_id == user.pk:
            _check_allowed(instance, task, "transfer")
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
        _check_allowed(instance, task, "delegate")
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
        _check_allowed(instance, task, "add_signer")
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
        _check_allowed(instance, task, "remove_signer")
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
        if task.assignee_id == user.pk:
            _check_allowed(instance, task, "cc")
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
        if instance.status != InstanceStatus.RUNNING:
            raise ValidationError(_("The process has already ended."))
        tasks = list(HumanTask.objects.filter(instance=instance, status__in=OPEN))
        for task in tasks:
            _event(instance, EventAction.REMIND, actor=user, task=task, target=task.assignee)
    return len(tasks)


# --- timers --------------------------------------------------------------------------------------


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def timers_fire_due(worker: str = "", batch: int = 500, max_batches: int = 1000) -> int:
    """Fire every due timer once; returns how many fired.

    Timers go in batches, one transaction per batch (a crash rolls the batch back, so its timers fire
    later — never lost, never twice). The batch's instances are locked first in one statement (the
    order a user's action takes: instance, task, timers), sorted by id so sweepers never deadlock,
    skipping those another sweeper holds; then one compare-and-set ``UPDATE … RETURNING`` on
    ``fired_at`` claims their timers. Reminders — most timers — are done set-based without the
    engine: one bulk insert of the 催办 history rows, one bulk insert of the next reminders, one
    UPDATE of the tasks' ``next_remind_at``. Escalations and diagram timers, which change the
    workflow, go one by one. A timer whose action fails is logged and marked fired (``claimed_by``
    says so), never retried in a loop."""
    now = clock.now()
    worker = (worker or _worker_name())[:100]
    skip_locked = connection.features.has_select_for_update_skip_locked
    fired = 0
    for _batch in range(max_batches):
        with transaction.atomic():
            due = Timer.objects.filter(fired_at__isnull=True, due_at__lte=now).order_by("due_at", "id")
            if skip_locked:  # two sweepers take different batches
                due = due.select_for_update(skip_locked=True)
            due = list(due.values_list("pk", "instance_id")[:batch])
            if not due:
                break
            claimed = _claim_timers(due, now, worker)
            reminders = [row for row in claimed if row[1] == TimerKind.REMIND]
            if reminders:
                try:
                    with transaction.atomic():
                        _fire_reminders(reminders, now)
                except Exception:
                    logger.exception("process reminder timers %s failed", [row[0] for row in reminders])
                    Timer.objects.filter(pk__in=[row[0] for row in reminders]).update(
                        claimed_by=f"failed:{worker}"[:100])
            for pk, kind, _task_id, _due in claimed:
                if kind == TimerKind.REMIND:
                    continue
                try:
                    with transaction.atomic():
                        _fire(Timer.objects.select_related("task", "instance").get(pk=pk))
                except Exception:
                    logger.exception("process timer %s failed", pk)
                    Timer.objects.filter(pk=pk).update(claimed_by=f"failed:{worker}"[:100])
        fired += len(claimed)
        if len(due) < batch or not claimed:
            break
    return fired


def _claim_timers(due: list[tuple[int, int]], now: dt.datetime, worker: str) -> list[tuple]:
    """Lock the instances of ``due`` (skipping those another sweeper holds), then claim their
    unfired timers with one compare-and-set; returns (id, kind, task id, due at) of the claimed."""
    instance_ids = sorted({instance_id for _pk, instance_id in due})
    if connection.features.has_select_for_update_skip_locked:  # same order as a user's action: instance first
        locked = set(ProcessInstance.objects.select_for_update(skip_locked=True).filter(pk__in=instance_ids)
                     .order_by("pk").values_list("pk", flat=True))
    else:  # SQLite: one writer at a time, the compare-and-set below is enough
        locked = set(instance_ids)
    ids = [pk for pk, instance_id in due if instance_id in locked]
    if not ids:
        return []
    table = connection.ops.quote_name(Timer._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET fired_at = %s, claimed_by = %s "  # noqa: S608 — our table, bound values
                    f"WHERE id IN ({marks}) AND fired_at IS NULL RETURNING id, kind, task_id, due_at",
                    [Timer._meta.get_field("fired_at").get_db_prep_value(now, connection), worker, *ids])
        rows = cur.fetchall()
    if connection.vendor == "sqlite" or not settings.USE_TZ:
        rows = [(pk, kind, task_id, _as_datetime(due_at)) for pk, kind, task_id, due_at in rows]
    return sorted(rows, key=lambda row: (row[3], row[0]))


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _fire_reminders(rows: list[tuple], now: dt.datetime) -> None:
    """催办 by timer, set-based: a history row per open task of a running instance, the next
    reminder while it comes before the deadline, and the task's ``next_remind_at``."""
    tasks = {t.pk: t for t in HumanTask.objects.filter(
        pk__in={row[2] for row in rows if row[2]}, status__in=OPEN, instance__status=InstanceStatus.RUNNING).only(
        "pk", "instance_id", "assignee_id", "node_id", "node_name", "remind_every", "due_at", "next_remind_at")}
    events, timers, changed = [], [], {}
    for _pk, _kind, task_id, due_at in rows:
        task = tasks.get(task_id)
        if task is None:
            continue
        events.append(TaskEvent(instance_id=task.instance_id, task_id=task.pk, target_id=task.assignee_id,
                                action=EventAction.REMIND, node_id=task.node_id, node_name=task.node_name, at=now))
        if not task.remind_every:
            continue
        following = due_at + task.remind_every
        if task.due_at is None or following < task.due_at:
            timers.append(Timer(instance_id=task.instance_id, task_id=task.pk, kind=TimerKind.REMIND, due_at=following))
            task.next_remind_at = following
        else:
            task.next_remind_at = None
        changed[task.pk] = task
    TaskEvent.objects.bulk_create(events, batch_size=1000)
    Timer.objects.bulk_create(timers, batch_size=1000)
    HumanTask.objects.bulk_update(list(changed.values()), ["next_remind_at"], batch_size=1000)


def _fire(timer: Timer) -> None:
    if timer.kind == TimerKind.BOUNDARY:
        _fire_event_timer(timer)
        return
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
    """The periodic job: fire due process timers (reminders, escalations, diagram timer events)."""
    return f"fired {timers_fire_due()}"


def starts_sweep() -> str:
    """The periodic job: start the instances of timer start events that are due (自动调度)."""
    return f"started {starts_fire_due()}"


def service_calls_sweep() -> str:
    """The periodic job: run service calls whose run after commit did not happen."""
    return f"service calls {service_calls_run_pending()}"


def _fire_event_timer(timer: Timer) -> None:
    """A boundary or intermediate timer event of the diagram is due: the engine takes its path
    (an interrupting boundary timer cancels the step's open tasks)."""
    instance = ProcessInstance.objects.select_for_update().select_related("version").get(pk=timer.instance_id)
    if instance.status != InstanceStatus.RUNNING or not timer.event:
        return
    with _engine_errors():
        workflow = engine.load(instance.engine_state)
        text = _diagram(instance.version).timers.get(timer.event.removeprefix(engine.TIMER_PREFIX), "")
        if not engine.fire_timer(workflow, timer.event, repeat=text.startswith("R")):
            return
        event_id = timer.event.removeprefix(engine.TIMER_PREFIX)
        _event(instance, EventAction.TIMEOUT, node_id=event_id, node_name=event_id)
        _sync(instance, workflow)


def _sync_timers(instance: ProcessInstance, waiting: dict[str, str]) -> None:
    """One unfired ``Timer`` row per timer event the engine waits at (``waiting``: message name →
    the engine's wait id); none for the others. A duration or date-time fires once per wait; a
    cycle (``R[n]/PT…``) is armed again for its next period after each firing."""
    rows = Timer.objects.filter(instance=instance, kind=TimerKind.BOUNDARY, fired_at__isnull=True)
    rows.exclude(event__in=list(waiting)).delete()
    missing = set(waiting) - set(rows.values_list("event", flat=True))
    if not missing:
        return
    texts = _diagram(instance.version).timers
    now = clock.now()
    fired: dict[tuple[str, str], list] = {}
    for event, wait_id, due_at in (Timer.objects.filter(instance=instance, kind=TimerKind.BOUNDARY,
                                                        event__in=missing, fired_at__isnull=False)
                                   .order_by("due_at", "id").values_list("event", "wait_id", "due_at")):
        fired.setdefault((event, wait_id), []).append(due_at)
    for name in sorted(missing):
        text = texts.get(name.removeprefix(engine.TIMER_PREFIX), "")
        try:
            due = schedule.event_due(text, now, fired.get((name, waiting[name]), []), timezone.get_default_timezone())
        except schedule.ScheduleError:
            continue  # checked when the diagram was saved
        if due is not None:
            Timer.objects.create(instance=instance, kind=TimerKind.BOUNDARY, event=name, due_at=due,
                                 wait_id=waiting[name])


# --- timer start events (自动调度) ----------------------------------------------------------------


def starts_fire_due(max_per_version: int = 50) -> int:
    """Start one instance per due time of every active version with a timer start event. The due
    time is claimed by a compare-and-set on ``next_start_at``, so two workers never start it twice."""
    now = clock.now()
    started = 0
    due_versions = list(ProcessVersion.objects.filter(status=VersionStatus.ACTIVE, next_start_at__lte=now)
                        .values_list("pk", "next_start_at")[:200])
    for pk, due in due_versions:
        for _i in range(max_per_version):
            with transaction.atomic():
                version = ProcessVersion.objects.select_related("definition", "created_by").get(pk=pk)
                following = _next_start(version, due)
                claimed = ProcessVersion.objects.filter(pk=pk, status=VersionStatus.ACTIVE, next_start_at=due).update(
                    next_start_at=following)
                if claimed != 1:
                    break
                starter = version.created_by if version.created_by and version.created_by.is_active else next(
                    iter(assignees.administrators()), None)
                if starter is not None:
                    local = timezone.localtime(due)
                    _start_version(version, starter, business_key=f"{version.definition.code}-{local:%Y%m%d%H%M}"[:100],
                                   data={"scheduled_at": local.isoformat()},
                                   title=f"{version.definition.name} {local:%Y-%m-%d %H:%M}",
                                   opinion=_stored(gettext_noop("Started by the scheduler")))
                    started += 1
            if following is None or following > now:
                break
            due = following
    return started


def _stored(message: str) -> str:
    """A message stored in the data (history) in the site's language, whoever triggers it."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(message)


def manual_start_definitions(user: User) -> list[ProcessDefinition]:
    """人工调度: the definitions the user may start by hand (an active version with a none start event)."""
    if not has_perm(user, MODULE, "change"):
        return []
    versions = (ProcessVersion.objects.filter(status=VersionStatus.ACTIVE, start_timer="")
                .select_related("definition").defer("bpmn_xml").order_by("definition__category", "definition__name"))
    return [v.definition for v in versions]


# --- messages (intermediate message catch events / receive tasks) --------------------------------


def instance_message(*, user: User, name: str, data: dict | None = None, instance: ProcessInstance | None = None,
                     candidates=None) -> ProcessInstance:
    """Deliver message ``name`` (its ``data`` merged into the instance data) to ``instance``, or to the
    one running instance among ``candidates`` (e.g. those with a business key) waiting for it."""
    _require(user, MODULE)
    name = (name or "").strip()
    if not name or name.startswith("kam_"):
        raise ValidationError({"name": _("Give the name of a message of the diagram.")})
    data = dict(data or {})
    with transaction.atomic():
        targets = [instance] if instance is not None else list(candidates if candidates is not None else [])
        for target in targets:
            target = ProcessInstance.objects.select_for_update().select_related("version").get(pk=target.pk)
            if target.status != InstanceStatus.RUNNING:
                continue
            with _engine_errors():
                workflow = engine.load(target.engine_state)
                if not engine.send_message(workflow, name, data):
                    continue
                _event(target, EventAction.MESSAGE, actor=user, opinion=name)
                target.data = {**target.data, **data}
                _sync(target, workflow)
                target.data = {**target.data, **data}
                target.save(update_fields=["data"])
            return target
    raise ValidationError({"name": _("No running instance waits for message %(name)s.") % {"name": name}})


# --- service tasks (connectors and webhooks) ------------------------------------------------------


def _sync_service_calls(instance: ProcessInstance, waiting: list[str]) -> None:
    """A call row for every service task the engine waits at (run after the transaction commits)."""
    for name in waiting:
        if not name.startswith(engine.SERVICE_PREFIX):
            continue
        node_id = name.removeprefix(engine.SERVICE_PREFIX)
        if ServiceCall.objects.filter(instance=instance, node_id=node_id,
                                      status__in=(ServiceCallStatus.PENDING, ServiceCallStatus.FAILED)).exists():
            continue
        cfg = _node_cfg(instance, node_id)
        target = cfg.get("connector") or (cfg.get("webhook") or {}).get("url") or ""
        now = clock.now()
        name = _diagram(instance.version).service_tasks.get(node_id, node_id)
        call = ServiceCall.objects.create(instance=instance, node_id=node_id, node_name=name,
                                          target=str(target)[:500], created_at=now, updated_at=now)
        transaction.on_commit(lambda pk=call.pk: service_call_run(pk), robust=True)


def service_call_run(pk: int) -> str:
    """Run a waiting service call once (its webhook attempts included); returns its status."""
    with transaction.atomic():
        call = ServiceCall.objects.filter(pk=pk).first()
        if call is None:
            return ""
        instance = ProcessInstance.objects.select_for_update().select_related("version", "starter").get(
            pk=call.instance_id)
        call = ServiceCall.objects.select_for_update().get(pk=pk)
        if call.status != ServiceCallStatus.PENDING or instance.status != InstanceStatus.RUNNING:
            return call.status
        cfg = _node_cfg(instance, call.node_id)
        result: Any = None
        error = ""
        if cfg.get("connector"):
            fn = connectors.CONNECTORS.get(cfg["connector"])
            call.attempts += 1
            if fn is None:
                error = _("Unknown connector %(code)s.") % {"code": cfg["connector"]}
            else:
                try:
                    result = fn(connectors.ServiceContext(call=call, instance=instance, node_id=call.node_id,
                                                          node_name=call.node_name, params=cfg.get("params") or {}))
                except Exception as exc:  # a connector's failure is recorded, never lost
                    error = f"{type(exc).__name__}: {exc}"
        elif cfg.get("webhook"):
            hook = cfg["webhook"]
            payload = {"instance": instance.pk, "business_key": instance.business_key, "step": call.node_id,
                       "process": instance.version.definition.code if instance.version_id else "",
                       "data": instance.data}
            for _attempt in range(max(int(hook.get("retries") or 3), 1)):
                call.attempts += 1
                try:
                    result = connectors.post_webhook(str(hook.get("url") or ""), str(hook.get("secret") or ""),
                                                     payload, float(hook.get("timeout_seconds") or 5))
                    error = ""
                    break
                except connectors.ServiceError as exc:
                    error = str(exc)
        else:
            call.attempts += 1
            error = _("Step %(node)s has no connector or webhook.") % {"node": call.node_id}
        call.updated_at = clock.now()
        if error:
            call.status, call.last_error = ServiceCallStatus.FAILED, error[:2000]
            call.save()
            _event(instance, EventAction.SERVICE_ERROR, node_id=call.node_id, node_name=call.node_name,
                   opinion=call.last_error)
            return call.status
        if result is connectors.PENDING:
            call.save()
            return call.status
        _service_done(instance, call, result if isinstance(result, dict) else {})
        return call.status


def _service_done(instance: ProcessInstance, call: ServiceCall, result: dict) -> None:
    call.status, call.result, call.last_error, call.updated_at = ServiceCallStatus.DONE, result, "", clock.now()
    call.save()
    _event(instance, EventAction.SERVICE, node_id=call.node_id, node_name=call.node_name, opinion=call.target)
    with _engine_errors():
        workflow = engine.load(instance.engine_state)
        engine.send_message(workflow, engine.SERVICE_PREFIX + call.node_id, result)
        instance.data = {**instance.data, **result}
        _sync(instance, workflow)


def service_calls_run_pending() -> int:
    """Run the waiting service calls (the sweep's safety net when a run after commit was missed)."""
    pks = list(ServiceCall.objects.filter(status=ServiceCallStatus.PENDING, attempts=0)
               .values_list("pk", flat=True)[:100])
    return sum(1 for pk in pks if service_call_run(pk))


def service_call_retry(*, user: User, call: ServiceCall) -> ServiceCall:
    """Run a failed service call again (a process administrator, from monitoring)."""
    _require(user, DESIGN_MODULE)
    with transaction.atomic():
        check_in_scope(user, call.instance, "change")
        updated = ServiceCall.objects.filter(pk=call.pk, status=ServiceCallStatus.FAILED).update(
            status=ServiceCallStatus.PENDING, updated_at=clock.now())
        if updated != 1:
            raise ValidationError(_("Only a failed service call can be retried."))
    service_call_run(call.pk)
    call.refresh_from_db()
    return call


def work_order_connector(ctx: connectors.ServiceContext) -> object:
    """工单流: open a task in the 工单 pool — the role ``params.role`` (default ``work_order``) within
    ``params.org`` (default the applicant's city) — and wait; handling it finishes the service step."""
    instance = ctx.instance
    spec = {"kind": "role", "role": ctx.params.get("role") or "work_order", "org": ctx.params.get("org") or "city"}
    users = assignees.resolve(spec, base=instance.starter, node_id=ctx.node_id, data=instance.data) or (
        assignees.administrators())
    task = HumanTask(instance=instance, node_id=ctx.node_id, node_name=ctx.node_name,
                     engine_task_id=f"svc:{ctx.call.pk}", created_at=clock.now())
    _open_task(task, _node_cfg(instance, ctx.node_id))
    task.candidates.set(users)
    _event(instance, EventAction.ASSIGN, task=task)
    return connectors.PENDING


# --- 疏导 (re-routing) -----------------------------------------------------------------------------


def instance_reroute(*, user: User, instance: ProcessInstance, reason: str, target_node: str = "",
                     to_user: User | None = None) -> ProcessInstance:
    """疏导: a process administrator moves a stuck instance back to a step it passed and/or gives the
    open task of the (new) current step to ``to_user``; the reason is required and recorded."""
    _require(user, DESIGN_MODULE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for re-routing.")})
    if not target_node and to_user is None:
        raise ValidationError({"target_node": _("Choose a step or a user.")})
    if to_user is not None and not to_user.is_active:
        raise ValidationError({"to_user": _("This user is disabled.")})
    with transaction.atomic():
        instance = ProcessInstance.objects.select_for_update().select_related("version").get(pk=instance.pk)
        check_in_scope(user, instance, "change")
        if instance.status != InstanceStatus.RUNNING:
            raise ValidationError(_("The process has already ended."))
        node_name = ""
        if target_node and target_node not in instance.current_nodes:
            _cancel_tasks(HumanTask.objects.filter(instance=instance, status__in=(*OPEN, TaskStatus.PENDING)))
            with _engine_errors():
                workflow = engine.load(instance.engine_state)
                if not engine.reset_to(workflow, target_node):
                    raise ValidationError({"target_node": _("The process has not passed step %(node)s.")
                                           % {"node": target_node}})
                _sync(instance, workflow)
        node_name = _diagram(instance.version).user_tasks.get(target_node, target_node) if target_node else ""
        if to_user is not None:
            open_tasks = HumanTask.objects.select_for_update().filter(instance=instance, status__in=OPEN)
            if target_node:
                open_tasks = open_tasks.filter(node_id=target_node)
            open_tasks = list(open_tasks.order_by("seq", "id"))
            if len(open_tasks) != 1:
                raise ValidationError({"to_user": _("Re-assigning needs exactly one open task at the step; "
                                                    "%(n)s are open.") % {"n": len(open_tasks)}})
            task = open_tasks[0]
            task.assignee, task.delegated_by = to_user, None
            if task.status == TaskStatus.OPEN and task.candidates.exists():
                task.status, task.claimed_at = TaskStatus.CLAIMED, clock.now()
            task.version += 1
            task.save()
            node_name = task.node_name
            target_node = task.node_id
        _event(instance, EventAction.REROUTE, actor=user, target=to_user, opinion=reason, node_id=target_node,
               node_name=node_name)
    return instance
