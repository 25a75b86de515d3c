"""Writes of 工作管理. Every page, API call, import and job goes through these functions.

Rules enforced here (never only in a page):
- R-WORK-1: an outbound call (外呼) and its execution record need an open check-in (签入);
- R-WORK-2: the execution branch and sub-result decide the result and whether the item closes;
- R-WORK-3: no call or visit of a customer inside a do-not-disturb window; task generation skips or
  defers such customers (the task's choice) and records which;
- generation is set-based: one ``INSERT … SELECT`` per outcome, never a save per customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core import clock
from kam.core.querysets import check_in_scope
from kam.customers.models import Customer, Relationship
from kam.org.models import User
from kam.org.permissions import has_perm

from . import selectors
from .models import (
    BRANCH_RESULT,
    MODULE,
    SUB_RESULTS,
    TASK_CLOSED_REASON,
    TASK_MODULE,
    Appointment,
    Branch,
    CallSession,
    Channel,
    DndPolicy,
    DoNotDisturb,
    Execution,
    SkipOutcome,
    Source,
    State,
    Task,
    TaskSkip,
    TaskStatus,
    TaskTarget,
    WorkItem,
)

INLINE_GENERATION_LIMIT = 2000  # above this many customers a task generates in a background job


def _require(user: Any, module: str, action: str = "change") -> None:
    if not has_perm(user, module, action):
        raise PermissionDenied(_("You have no permission for this action."))


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def _visible_customer(user: Any, customer: Customer) -> Customer:
    found = Customer.objects.restrict(user, "view").filter(pk=customer.pk).first()
    if found is None:
        raise ValidationError({"customer": _("No such customer in your data scope.")})
    return found


# --- work items by hand (工作制定) ---------------------------------------------------------------


@transaction.atomic
def work_item_create(*, user: Any, customer: Customer, title: str, due_at: dt.datetime,
                     channel: str = Channel.CALL, content: str = "", manager: User | None = None,
                     planned_at: dt.datetime | None = None) -> WorkItem:
    """工作制定: a work item made by hand, for the user themselves or a manager in their scope."""
    _require(user, MODULE)
    customer = _visible_customer(user, customer)
    manager = manager or user
    if not (title or "").strip():
        raise ValidationError({"title": _("Enter the work name.")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose the work type.")})
    planned_at = planned_at or clock.now()
    if due_at is None or due_at < planned_at:
        raise ValidationError({"due_at": _("The due time must not lie before the start time.")})
    if manager.org_unit_id is None:
        raise ValidationError({"manager": _("The account manager belongs to no organisation unit.")})
    item = WorkItem.objects.create(
        source=Source.MANUAL, channel=channel, title=title.strip(), content=content or "", customer=customer,
        manager=manager, org_unit_id=manager.org_unit_id, created_by=user, created_at=clock.now(),
        planned_at=planned_at, due_at=due_at)
    check_in_scope(user, item, "change")
    return WorkItem.objects.get(pk=item.pk)


@transaction.atomic
def work_items_cancel(*, user: Any, items: Iterable[WorkItem], reason: str) -> int:
    """注销: cancel open work items, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Enter the reason for cancelling.")})
    ids = [i.pk for i in items]
    if not ids:
        raise ValidationError({"items": _("Choose at least one work item.")})
    allowed = WorkItem.objects.restrict(user, "change").filter(pk__in=ids)
    if allowed.count() != len(set(ids)):
        raise PermissionDenied(_("You have no permission for this record."))
    closed = allowed.exclude(state=State.OPEN).first()
    if closed is not None:
        raise ValidationError({"items": _("“%(item)s” is no longer open.") % {"item": closed}})
    n = 0
    for item in WorkItem.objects.select_for_update().filter(pk__in=ids):
        item.state = State.CANCELLED
        item.cancel_reason = reason[:500]
        item.cancelled_by = user
        item.completed_at = clock.now()
        item.save()
        n += 1
    Appointment.objects.filter(work_item_id__in=ids, done=False).update(done=True)
    return n


# --- call bar (签入, R-WORK-1) ---------------------------------------------------------------------


@transaction.atomic
def checkin_start(*, user: Any) -> CallSession:
    """签入: open the call bar; an already open session is kept."""
    _require(user, MODULE)
    session = selectors.open_session(user)
    return session or CallSession.objects.create(user=user, started_at=clock.now())


@transaction.atomic
def checkin_end(*, user: Any) -> CallSession | None:
    """签出: close the open session (if any)."""
    session = selectors.open_session(user)
    if session is not None:
        session.ended_at = clock.now()
        session.save(update_fields=["ended_at"])
    return session


def _require_session(user: Any) -> CallSession:
    session = selectors.open_session(user)
    if session is None:
        raise ValidationError({"session": _("Check in on the call bar before calling (外呼).")})
    return session


def _require_no_dnd(item: WorkItem, at: dt.datetime) -> None:
    window = selectors.dnd_active(item.customer_id, at)
    if window is not None:
        raise ValidationError({"customer": _(
            "The customer does not wish to be disturbed until %(until)s: no call or visit before then."
        ) % {"until": clock.local_text(window.ends_at)}})


def _open_item(user: Any, item: WorkItem) -> WorkItem:
    check_in_scope(user, item, "change")
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    if item.state != State.OPEN:
        raise ValidationError({"work_item": _("This work item is no longer open.")})
    return item


@transaction.atomic
def work_item_dial(*, user: Any, item: WorkItem) -> str:
    """外呼: start a call of the item's customer; returns the number dialled. Needs a check-in
    (R-WORK-1) and no do-not-disturb window (R-WORK-3)."""
    _require(user, MODULE)
    item = _open_item(user, item)
    if item.channel != Channel.CALL:
        raise ValidationError({"channel": _("This work item is a visit, not a call.")})
    _require_session(user)
    _require_no_dnd(item, clock.now())
    return item.customer.phone


@transaction.atomic
def work_item_execute(*, user: Any, item: WorkItem, branch: str, sub_result: str, notes: str = "") -> Execution:
    """Record a call or visit of ``item`` (R-WORK-2): branch 成功 ⇒ success and the item completes;
    可再次外呼 ⇒ failure, the item stays open; 不再外呼 ⇒ failure and the item closes."""
    _require(user, MODULE)
    item = _open_item(user, item)
    now = clock.now()
    session = None
    if item.channel == Channel.CALL:
        session = _require_session(user)
    _require_no_dnd(item, now)
    if branch not in Branch.values:
        raise ValidationError({"branch": _("Choose the execution branch.")})
    if sub_result not in {code for code, _label in SUB_RESULTS[branch]}:
        raise ValidationError({"sub_result": _("Choose a sub-result of the branch “%(branch)s”.")
                               % {"branch": Branch(branch).label}})
    result = BRANCH_RESULT[Branch(branch)]
    execution = Execution.objects.create(
        work_item=item, channel=item.channel, branch=branch, sub_result=sub_result, result=result,
        notes=(notes or "")[:2000], executed_by=user, executed_at=now, session=session)
    item.attempts += 1
    item.result = result
    if branch in (Branch.SUCCESS, Branch.CLOSE):
        item.state = State.DONE
        item.completed_at = now
    item.save()
    Appointment.objects.filter(work_item=item, done=False, at__lte=now).update(done=True)
    if item.state != State.OPEN:
        Appointment.objects.filter(work_item=item, done=False).update(done=True)
    return execution


# --- do not disturb and appointments ---------------------------------------------------------------


@transaction.atomic
def dnd_add(*, user: Any, customer: Customer, starts_at: dt.datetime, ends_at: dt.datetime,
            reason: str = "") -> DoNotDisturb:
    """加入免打扰: the customer is not to be called or visited in this window (R-WORK-3)."""
    _require(user, MODULE)
    customer = _visible_customer(user, customer)
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must lie after the start.")})
    if ends_at <= clock.now():
        raise ValidationError({"ends_at": _("The window is already over.")})
    window = DoNotDisturb.objects.create(customer=customer, starts_at=starts_at, ends_at=ends_at,
                                         reason=(reason or "")[:500], created_by=user, created_at=clock.now())
    check_in_scope(user, window, "change")
    return window


@transaction.atomic
def dnd_remove(*, user: Any, window: DoNotDisturb) -> None:
    check_in_scope(user, window, "change")
    window.delete()


@transaction.atomic
def appointment_make(*, user: Any, item: WorkItem, at: dt.datetime, note: str = "") -> Appointment:
    """预约: call or visit again at ``at``; the item comes back to the task list then."""
    _require(user, MODULE)
    item = _open_item(user, item)
    if at is None or at <= clock.now():
        raise ValidationError({"at": _("The appointment must lie in the future.")})
    window = selectors.dnd_active(item.customer_id, at)
    if window is not None:
        raise ValidationError({"at": _("The customer does not wish to be disturbed until %(until)s.") % {
            "until": clock.local_text(window.ends_at)}})
    appointment = Appointment.objects.create(work_item=item, at=at, note=(note or "")[:500], created_by=user,
                                             created_at=clock.now())
    check_in_scope(user, appointment, "change")
    return appointment


# --- tasks (任务) and generation ---------------------------------------------------------------------


@transaction.atomic
def task_create(*, user: Any, name: str, start_on: dt.date, due_on: dt.date, channel: str = Channel.CALL,
                description: str = "", dnd_policy: str = DndPolicy.DEFER, criteria: dict | None = None,
                customer_ids: Iterable[int] | None = None, customer_file: bytes | IO[bytes] | None = None) -> Task:
    """任务: a campaign over customers chosen by ``criteria`` or a list — ``customer_ids``, or an Excel
    ``customer_file`` read by the import spec ``work.task_customers`` (all rows valid or nothing saved:
    :class:`TaskImportError` carries the row errors and the error report)."""
    _require(user, TASK_MODULE)
    if not (name or "").strip():
        raise ValidationError({"name": _("Enter the task name.")})
    if start_on is None or due_on is None or due_on < start_on:
        raise ValidationError({"due_on": _("The due date must not lie before the start date.")})
    if dnd_policy not in DndPolicy.values:
        raise ValidationError({"dnd_policy": _("Choose what happens to customers in a do-not-disturb window.")})
    if user.org_unit_id is None:
        raise ValidationError({"name": _("You belong to no organisation unit.")})
    clean = {k: v for k, v in (criteria or {}).items() if k in selectors.CRITERIA_FIELDS and v not in (None, "")}
    task = Task.objects.create(name=name.strip(), channel=channel, description=description or "",
                               start_on=start_on, due_on=due_on, dnd_policy=dnd_policy, criteria=clean,
                               imported=customer_ids is not None or customer_file is not None,
                               org_unit_id=user.org_unit_id, created_by=user,
                               created_at=clock.now())
    if customer_ids is not None:
        ids = sorted(set(Customer.objects.restrict(user, "view").filter(pk__in=list(customer_ids))
                         .values_list("pk", flat=True)))
        if not ids:
            raise ValidationError({"customers": _("None of the listed customers lies in your data scope.")})
        TaskTarget.objects.bulk_create([TaskTarget(task=task, customer_id=i) for i in ids], batch_size=5000)
    check_in_scope(user, task, "change")
    if customer_file is not None:
        task_import_customers(user=user, task=task, data=customer_file)
    return task


class TaskImportError(ValidationError):
    """The customer list of a task did not import: ``result`` holds the errors by row and column and
    the error report workbook (``result.report``)."""

    def __init__(self, result: Any) -> None:
        self.result = result
        messages = [result.file_error] if result.file_error else [
            (_("Row %(row)s %(column)s: %(message)s") if e["column"] else _("Row %(row)s: %(message)s")) % e
            for e in result.errors]
        super().__init__({"customer_file": messages})


def task_target_add(*, user: Any, task: Task, customer: Customer) -> TaskTarget:
    """Put one customer (of the user's scope) on a task's list while the task is not generated yet."""
    check_in_scope(user, task, "change")
    if task.status not in (TaskStatus.PENDING, TaskStatus.FAILED):
        raise ValidationError({"customer": _("The customer list of a generated or closed task cannot change.")})
    customer = _visible_customer(user, customer)
    target, _created = TaskTarget.objects.get_or_create(task=task, customer=customer)
    return target


@transaction.atomic
def task_import_customers(*, user: Any, task: Task, data: bytes | IO[bytes]) -> int:
    """Import a task's customer list through the spec ``work.task_customers``: every row is checked
    first; on any error nothing is saved and :class:`TaskImportError` is raised. Returns the number of
    customers on the list."""
    from kam.exchange.engine import run_import

    from .exchange import TaskCustomerSpec

    check_in_scope(user, task, "change")
    result = run_import(TaskCustomerSpec(task=task), user=user, data=data)
    if not result.ok:
        raise TaskImportError(result)
    if not task.imported:
        Task.objects.filter(pk=task.pk).update(imported=True)
        task.imported = True
    return TaskTarget.objects.filter(task=task).count()


# Fields that shape the generated work items: they may change only before generation.
TASK_GENERATION_FIELDS = ("channel", "start_on", "due_on", "dnd_policy")


@transaction.atomic
def task_update(*, user: Any, task: Task, **changes: Any) -> Task:
    """Edit a task: name and content at any time (the generated items keep their own copies), the
    work type, dates and do-not-disturb choice only before generation. A closed task is final."""
    check_in_scope(user, task, "change")
    task = Task.objects.select_for_update().get(pk=task.pk)
    allowed = {"name", "description", *TASK_GENERATION_FIELDS}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed.")})
    if task.status == TaskStatus.CLOSED:
        raise ValidationError({"name": _("The task is closed and cannot be changed.")})
    locked = task.status in (TaskStatus.GENERATED, TaskStatus.GENERATING)
    for name, value in changes.items():
        if name in TASK_GENERATION_FIELDS and locked and value != getattr(task, name):
            raise ValidationError({name: _("The work items have been generated: this field can no longer change.")})
    if "name" in changes:
        if not (changes["name"] or "").strip():
            raise ValidationError({"name": _("Enter the task name.")})
        changes["name"] = changes["name"].strip()
    if "description" in changes:
        changes["description"] = changes["description"] or ""
    if changes.get("channel", task.channel) not in Channel.values:
        raise ValidationError({"channel": _("Choose the work type.")})
    if changes.get("dnd_policy", task.dnd_policy) not in DndPolicy.values:
        raise ValidationError({"dnd_policy": _("Choose what happens to customers in a do-not-disturb window.")})
    start_on, due_on = changes.get("start_on", task.start_on), changes.get("due_on", task.due_on)
    if start_on is None or due_on is None or due_on < start_on:
        raise ValidationError({"due_on": _("The due date must not lie before the start date.")})
    for name, value in changes.items():
        setattr(task, name, value)
    task.save()
    check_in_scope(user, task, "change")
    return task


@transaction.atomic
def task_close(*, user: Any, task: Task) -> int:
    """关闭: the task ends; its open work items are cancelled with the reason "任务关闭" (recorded with
    who and when). Returns the number of work items cancelled."""
    check_in_scope(user, task, "change")
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status == TaskStatus.CLOSED:
        raise ValidationError({"status": _("The task is closed already.")})
    if task.status == TaskStatus.GENERATING:
        raise ValidationError({"status": _("The work items are being generated; close the task when that ends.")})
    now = clock.now()
    open_items = WorkItem.objects.filter(task=task, state=State.OPEN)
    Appointment.objects.filter(work_item__in=open_items.values("pk"), done=False).update(done=True)
    n = open_items.update(state=State.CANCELLED, cancel_reason=TASK_CLOSED_REASON, cancelled_by=user,
                          completed_at=now)
    task.status = TaskStatus.CLOSED
    task.closed_at = now
    task.closed_by = user
    task.message = _("Closed: %(n)d open work items cancelled.") % {"n": n}
    task.save()
    return n


@transaction.atomic
def task_delete(*, user: Any, task: Task) -> None:
    """Delete a task that has no work items yet (else it is to be closed)."""
    check_in_scope(user, task, "change")
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status == TaskStatus.GENERATING:
        raise ValidationError({"status": _("The work items are being generated; the task cannot be deleted now.")})
    if WorkItem.objects.filter(task=task).exists():
        raise ValidationError({"status": _(
            "The task has work items and cannot be deleted; close it instead (its open work items are cancelled).")})
    task.delete()


def _insert_select(model, fields: list[str], qs) -> int:
    """``INSERT INTO model (fields) SELECT …`` with the SELECT compiled from ``qs`` (its
    ``values_list`` gives the columns in the same order): one statement, set-based."""
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    qn = connection.ops.quote_name
    cols = ", ".join(qn(model._meta.get_field(f).column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({cols}) {sql}", params)  # noqa: S608
        return cursor.rowcount


def _generation_rows(task: Task, planned: dt.datetime):
    manager_filter = {"manager_id": task.criteria["manager"]} if task.criteria.get("manager") else {}
    first_manager = (Relationship.objects.filter(customer=OuterRef("pk"), **manager_filter)
                     .order_by("pk").values("manager_id")[:1])
    manager_unit = User.objects.filter(pk=OuterRef("g_manager")).values("org_unit_id")[:1]
    dnd_until = (DoNotDisturb.objects.filter(customer=OuterRef("pk"), starts_at__lte=planned, ends_at__gt=planned)
                 .order_by("-ends_at").values("ends_at")[:1])
    return (selectors.task_customers(task).order_by()
            .annotate(g_manager=Subquery(first_manager, output_field=IntegerField()))
            .annotate(g_unit=Subquery(manager_unit, output_field=IntegerField()),
                      g_dnd=Subquery(dnd_until, output_field=DateTimeField())))


@transaction.atomic
def task_generate(*, user: Any, task: Task) -> Task:
    """Generate one work item per customer of the task, assigned to the customer's account manager
    (the task's manager filter, else the first business relationship's manager). Customers inside a
    do-not-disturb window at the start are skipped or deferred to the window's end (R-WORK-3);
    both, and customers without a manager, are recorded as :class:`TaskSkip` rows."""
    check_in_scope(user, task, "change")
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status == TaskStatus.GENERATED:
        raise ValidationError({"status": _("The work items of this task have been generated already.")})
    if task.status == TaskStatus.CLOSED:
        raise ValidationError({"status": _("The task is closed and cannot be changed.")})
    planned = max(_day_start(task.start_on), clock.now())
    due = _day_end(task.due_on)
    now = clock.now()
    rows = _generation_rows(task, planned)
    const = {
        "c_task": Value(task.pk, output_field=IntegerField()),
        "c_now": Value(now, output_field=DateTimeField()),
    }
    no_manager = rows.filter(Q(g_manager__isnull=True) | Q(g_unit__isnull=True)).annotate(
        **const, c_outcome=Value(SkipOutcome.NO_MANAGER, output_field=CharField()),
        c_until=Value(None, output_field=DateTimeField()))
    n_no_manager = _insert_select(TaskSkip, ["task", "customer", "outcome", "until"],
                                  no_manager.values_list("c_task", "pk", "c_outcome", "c_until"))
    assigned = rows.filter(g_manager__isnull=False, g_unit__isnull=False)
    in_dnd = assigned.filter(g_dnd__isnull=False)
    outcome = SkipOutcome.SKIPPED if task.dnd_policy == DndPolicy.SKIP else SkipOutcome.DEFERRED
    n_dnd = _insert_select(TaskSkip, ["task", "customer", "outcome", "until"], in_dnd.annotate(
        **const, c_outcome=Value(outcome, output_field=CharField())).values_list("c_task", "pk", "c_outcome", "g_dnd"))
    items = assigned.filter(g_dnd__isnull=True) if task.dnd_policy == DndPolicy.SKIP else assigned
    items = items.annotate(
        **const,
        c_source=Value(Source.GENERATED, output_field=CharField()),
        c_channel=Value(task.channel, output_field=CharField()),
        c_title=Value(task.name[:200], output_field=CharField()),
        c_content=Value(task.description, output_field=CharField()),
        c_by=Value(user.pk, output_field=IntegerField()),
        c_planned=Coalesce(F("g_dnd"), Value(planned, output_field=DateTimeField()), output_field=DateTimeField()),
        c_due=Case(When(g_dnd__gt=due, then=F("g_dnd")), default=Value(due, output_field=DateTimeField()),
                   output_field=DateTimeField()),
        c_deferred=Case(When(g_dnd__isnull=False, then=Value(True)), default=Value(False),
                        output_field=BooleanField()),
    )
    n_items = _insert_select(
        WorkItem,
        ["task", "source", "channel", "title", "content", "customer", "manager", "org_unit", "created_by",
         "created_at", "planned_at", "due_at", "deferred"],
        items.values_list("c_task", "c_source", "c_channel", "c_title", "c_content", "pk", "g_manager", "g_unit",
                          "c_by", "c_now", "c_planned", "c_due", "c_deferred"))
    task.status = TaskStatus.GENERATED
    task.generated_count = n_items
    task.skipped_count = n_dnd if outcome == SkipOutcome.SKIPPED else 0
    task.deferred_count = n_dnd if outcome == SkipOutcome.DEFERRED else 0
    task.no_manager_count = n_no_manager
    task.generated_at = now
    task.message = ""
    task.save()
    return task


def task_start_generation(*, user: Any, task: Task):
    """Generate now when the list is small, else in a background job (returns the job)."""
    from kam.core.pagination import capped_count
    from kam.jobs.services import job_run_inline, job_start

    n, capped = capped_count(selectors.task_customers(task), INLINE_GENERATION_LIMIT)
    params = {"task": task.pk}
    label = _("Generate the work items of “%(task)s”") % {"task": task.name}
    if capped:
        job = job_start(user=user, kind="work.generate", params=params, label=label)
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.GENERATING, job_id=job.pk)
    else:
        job = job_run_inline(user=user, kind="work.generate", params=params, label=label)
        Task.objects.filter(pk=task.pk).update(job_id=job.pk)
        if job.status == "failed":
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.FAILED, message=(job.error or "")[:500])
    return job
