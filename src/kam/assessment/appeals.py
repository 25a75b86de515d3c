"""Result confirmation (结果确认) and appeals (申诉) — decision 0026 (REQUIREMENTS §7, beyond the seeds).

- **Publish** (发布考核结果, :func:`publication_create`): a computed month's account-manager results
  get a confirmation state 待确认. No process is started per result: the state is a row per subject
  and month (:class:`ResultConfirmation`) and a line on the manager's task list (工作列表, the todo
  source ``assessment_confirm``).
- **Window**: from publishing until the end of the last adjustment day of the next month
  (R-ASM-6, day ``assessment.adjust_last_day`` = 15), the publication's ``deadline``. Then the
  periodic job ``assessment.confirm_due`` confirms every result still 待确认 automatically, once.
- **Confirm** (:func:`confirmation_confirm`): the subject's own account manager; 待确认 → 已确认.
- **Appeal** (:func:`appeal_create`): the manager, within the window, with a reason (optionally the
  indicator concerned and the expected score); 待确认 → 申诉中 and an instance of the shipped process
  ``assessment_appeal`` (考核结果申诉): 主管审核 (the subject's superiors whose assessment scope lets them
  adjust the result) → 考核管理员复核 when the adjustment is 5 points or more → end. 同意 carries the
  step data ``adjust_delta`` and ``decision_reason``; the adjustment is made at the end through
  :func:`kam.assessment.services.adjustment_create` (audited, R-ASM-6 window: after day 15 an
  acceptance is refused with that service's message, a rejection still goes through). 驳回 rejects
  with the opinion as the reason. Either way 申诉中 → 申诉结束. 撤回 by the appellant: back to 待确认
  (已确认 when the window has closed meanwhile).
- **Re-runs**: a published month is not re-run (:func:`check_not_published`, called by
  ``run_start``); 撤销发布 (:func:`publication_withdraw`, no appeal open) keeps the old confirmations
  as the record; publishing again starts from 待确认.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core import clock
from kam.org.models import User

from . import calendar as cal
from . import kernel
from .models import (
    MODULE_RUN,
    Appeal,
    AppealStatus,
    AssessmentRun,
    ConfirmationState,
    Publication,
    Result,
    ResultConfirmation,
    ResultStatus,
    RunStatus,
    RunTrigger,
    ScoreDetail,
    SubjectType,
)

PROCESS_CODE = "assessment_appeal"
SUPERVISOR_STEP = "supervisor_review"
TODO_SOURCE = "assessment_confirm"
SECOND_REVIEW_FROM = 5  # points; the diagram's gateway 调整幅度 sends larger adjustments to 考核管理员复核


# --- the window ------------------------------------------------------------------------------------------------


def confirmation_deadline(period: str) -> dt.date:
    """The last day results of ``period`` may be confirmed or appealed: the last adjustment day
    of the next month (R-ASM-6)."""
    first = cal.parse_month(cal.add_months(period, 1))
    return first.replace(day=min(cal.param("assessment.adjust_last_day"), cal.month_end(cal.add_months(period, 1)).day))


def deadline_at(deadline: dt.date) -> dt.datetime:
    """The end of the deadline day in the site's time zone (the task list's due time)."""
    return timezone.make_aware(dt.datetime.combine(deadline, dt.time.max))


def window_open(publication: Publication, day: dt.date | None = None) -> bool:
    day = day or clock.today()
    return publication.withdrawn_at is None and publication.closed_at is None and day <= publication.deadline


def active_publication(period: str) -> Publication | None:
    return Publication.objects.filter(period=period, withdrawn_at__isnull=True).first()


def check_not_published(period: str) -> None:
    """A published month is not re-run (its confirmations and appeals refer to its totals)."""
    if active_publication(period) is not None:
        raise ValidationError({"period": _(
            "The results of %(month)s have been published for confirmation: withdraw the publication before "
            "computing the month again.") % {"month": period}})


# --- publishing --------------------------------------------------------------------------------------------------


@transaction.atomic
def publication_create(*, user: Any, period: str) -> Publication:
    """发布考核结果: the month's scored account-manager results become 待确认 until the deadline."""
    from .services import _require, check_period, runs_sync

    _require(user, MODULE_RUN)
    check_period(period)
    runs_sync(period)
    if AssessmentRun.objects.filter(period=period, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise ValidationError({"period": _("Month %(month)s is being computed: publish it when the run has "
                                           "finished.") % {"month": period}})
    # Computed by the scheduler, or by hand on or after the computation day (a failed automatic run
    # redone by an administrator counts).
    computed_from = timezone.make_aware(dt.datetime.combine(cal.compute_date(period), dt.time.min))
    if not AssessmentRun.objects.filter(period=period, status=RunStatus.SUCCEEDED).filter(
            Q(trigger=RunTrigger.AUTO) | Q(finished_at__gte=computed_from)).exists():
        raise ValidationError({"period": _(
            "Month %(month)s is published once it has been computed on or after its computation day "
            "%(day)s.") % {"month": period, "day": cal.compute_date(period).isoformat()}})
    deadline = confirmation_deadline(period)
    if clock.today() > deadline:
        raise ValidationError({"period": _(
            "The confirmation window of %(month)s ended on %(day)s: it can no longer be published.") % {
            "month": period, "day": deadline.isoformat()}})
    if active_publication(period) is not None:
        raise ValidationError({"period": _("The results of %(month)s are published already.") % {"month": period}})
    now = clock.now()
    try:
        with transaction.atomic():
            publication = Publication.objects.create(period=period, published_by=user if getattr(user, "pk", None)
                                                     else None, published_at=now, deadline=deadline)
    except IntegrityError:
        raise ValidationError({"period": _("The results of %(month)s are published already.") % {
            "month": period}}) from None
    rows = Result.objects.filter(period=period, subject_type=SubjectType.MANAGER, status=ResultStatus.SCORED,
                                 user__isnull=False).values_list("subject_id", "user_id", "org_unit_id",
                                                                 "subject_label", "total").order_by("id")
    batch: list[ResultConfirmation] = []
    count = 0
    for subject_id, user_id, org_unit_id, label, total in rows.iterator(chunk_size=5000):
        batch.append(ResultConfirmation(
            publication=publication, period=period, subject_type=SubjectType.MANAGER, subject_id=subject_id,
            user_id=user_id, org_unit_id=org_unit_id, subject_label=label, published_total=total))
        if len(batch) >= 5000:
            ResultConfirmation.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    ResultConfirmation.objects.bulk_create(batch)
    count += len(batch)
    publication.result_count = count
    publication.save(update_fields=["result_count"])
    return publication


@transaction.atomic
def publication_withdraw(*, user: Any, publication: Publication, reason: str) -> Publication:
    """撤销发布: allowed while the window is open and no appeal is under review; the confirmations
    stay with the withdrawn publication as the record, and the month may be re-run and published again."""
    from .services import _require

    _require(user, MODULE_RUN)
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if publication.withdrawn_at is not None:
        raise ValidationError(_("This publication has been withdrawn already."))
    if not (reason or "").strip():
        raise ValidationError({"withdraw_reason": _("Give the reason for withdrawing the publication.")})
    if not window_open(publication):
        raise ValidationError(_("The confirmation window has closed: the publication can no longer be withdrawn."))
    if Appeal.objects.filter(confirmation__publication=publication, status=AppealStatus.OPEN).exists():
        raise ValidationError(_("Appeals of this month are under review: decide or withdraw them first."))
    publication.withdrawn_at = clock.now()
    publication.withdrawn_by = user if getattr(user, "pk", None) else None
    publication.withdraw_reason = reason.strip()[:500]
    publication.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    return publication


def confirmations_close_due() -> str:
    """Periodic (``assessment.confirm_due``): after a publication's deadline, confirm every result
    still 待确认 automatically — exactly once (a compare-and-set on ``closed_at``)."""
    today = clock.today()
    done = []
    for pk, period in Publication.objects.filter(withdrawn_at__isnull=True, closed_at__isnull=True,
                                                 deadline__lt=today).values_list("pk", "period"):
        with transaction.atomic():
            now = clock.now()
            if not Publication.objects.filter(pk=pk, closed_at__isnull=True).update(closed_at=now):
                continue  # closed by another worker
            n = ResultConfirmation.objects.filter(publication_id=pk, state=ConfirmationState.PENDING).update(
                state=ConfirmationState.CONFIRMED, auto_confirmed=True, confirmed_at=now)
            Publication.objects.filter(pk=pk).update(auto_confirmed=n)
            done.append(f"{period}: {n}")
    return "; ".join(done) or "nothing due"


# --- confirming --------------------------------------------------------------------------------------------------


def _locked_confirmation(confirmation: ResultConfirmation) -> ResultConfirmation:
    locked = ResultConfirmation.objects.select_for_update().select_related("publication").get(pk=confirmation.pk)
    if locked.publication.withdrawn_at is not None:
        raise ValidationError(_("The publication of these results has been withdrawn."))
    return locked


def _check_subject(user: Any, confirmation: ResultConfirmation, what: str) -> None:
    if getattr(user, "pk", None) is None or confirmation.user_id != user.pk:
        raise PermissionDenied(what)


def _check_window(confirmation: ResultConfirmation) -> None:
    if not window_open(confirmation.publication):
        raise ValidationError(_("The confirmation window of %(month)s ended on %(day)s.") % {
            "month": confirmation.period, "day": confirmation.publication.deadline.isoformat()})


@transaction.atomic
def confirmation_confirm(*, user: Any, confirmation: ResultConfirmation) -> ResultConfirmation:
    """确认: the assessed account manager accepts the published result (待确认 → 已确认)."""
    confirmation = _locked_confirmation(confirmation)
    _check_subject(user, confirmation, _("Only the assessed account manager confirms the result."))
    if confirmation.state != ConfirmationState.PENDING:
        raise ValidationError(_("The result is %(state)s: it cannot be confirmed.") % {
            "state": confirmation.get_state_display()})
    _check_window(confirmation)
    confirmation.state = ConfirmationState.CONFIRMED
    confirmation.confirmed_by = user
    confirmation.confirmed_at = clock.now()
    confirmation.save(update_fields=["state", "confirmed_by", "confirmed_at"])
    return confirmation


def result_of(confirmation: ResultConfirmation) -> Result | None:
    return Result.objects.filter(period=confirmation.period, subject_type=confirmation.subject_type,
                                 subject_id=confirmation.subject_id).first()


def indicator_choices(confirmation: ResultConfirmation) -> list[str]:
    """The indicators and atomic indicators of the result, for "the indicator concerned"."""
    result = result_of(confirmation)
    if result is None:
        return []
    names: list[str] = []
    for ind, atomic in ScoreDetail.objects.filter(result=result).order_by("position").values_list(
            "indicator_name", "atomic_name"):
        for name in (ind, atomic):
            if name not in names:
                names.append(name)
    return names


def appeal_reviewers(confirmation: ResultConfirmation) -> list[User]:
    """主管审核: the subject's superiors (up the ``superior`` chain) who may adjust the result —
    whose ``assessment`` change scope covers it. Nobody: the step goes to the administrators."""
    result = result_of(confirmation)
    subject = confirmation.user
    found: list[User] = []
    seen = {subject.pk} if subject else set()
    person = subject.superior if subject else None
    while person is not None and person.pk not in seen:
        seen.add(person.pk)
        if person.is_active and result is not None:
            if Result.objects.restrict(person, "change").filter(pk=result.pk).exists():
                found.append(person)
        person = person.superior
    return found


def _expected_score(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    d = kernel.to_decimal(str(value))
    if d is None or not kernel.has_at_most_2_decimals(d) or not (Decimal(0) <= d <= Decimal(200)):
        raise ValidationError({"expected_score": _("Enter the expected score from 0 to 200 with at most 2 "
                                                   "decimals.")})
    return d.quantize(Decimal("0.01"))


@transaction.atomic
def appeal_create(*, user: Any, confirmation: ResultConfirmation, reason: str, indicator_name: str = "",
                  expected_score: Any = None) -> Appeal:
    """申诉: within the window, the assessed manager appeals a result still 待确认; starts the process
    ``assessment_appeal``. One appeal under review per result."""
    from kam.processes import services as process_services
    from kam.processes.loader import load_shipped_definitions
    from kam.processes.models import ProcessDefinition

    confirmation = _locked_confirmation(confirmation)
    _check_subject(user, confirmation, _("Only the assessed account manager may appeal the result."))
    if Appeal.objects.filter(confirmation=confirmation, status=AppealStatus.OPEN).exists():
        raise ValidationError(_("An appeal of this result is under review already."))
    if confirmation.state != ConfirmationState.PENDING:
        raise ValidationError(_("The result is %(state)s: it can no longer be appealed.") % {
            "state": confirmation.get_state_display()})
    _check_window(confirmation)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the appeal.")})
    indicator_name = (indicator_name or "").strip()
    if indicator_name and indicator_name not in indicator_choices(confirmation):
        raise ValidationError({"indicator_name": _("“%(name)s” is not an indicator of this result.") % {
            "name": indicator_name}})
    expected = _expected_score(expected_score)
    appeal = Appeal.objects.create(
        confirmation=confirmation, period=confirmation.period, subject_type=confirmation.subject_type,
        subject_id=confirmation.subject_id, user_id=confirmation.user_id, org_unit_id=confirmation.org_unit_id,
        subject_label=confirmation.subject_label, reason=reason[:1000], indicator_name=indicator_name,
        expected_score=expected, created_by=user, created_at=clock.now())
    confirmation.state = ConfirmationState.APPEALING
    confirmation.save(update_fields=["state"])
    if not ProcessDefinition.objects.filter(code=PROCESS_CODE).exists():
        load_shipped_definitions()
    total = "" if confirmation.published_total is None else kernel.fmt(confirmation.published_total)
    data = {"appeal": appeal.pk, "period": appeal.period, "subject": appeal.subject_label, "published_total": total,
            "appeal_reason": appeal.reason, "indicator": indicator_name,
            "expected_score": "" if expected is None else str(expected),
            "approvers": {SUPERVISOR_STEP: [u.username for u in appeal_reviewers(confirmation)]}}
    instance = process_services.instance_start(
        user=user, definition_code=PROCESS_CODE, business_key=f"{PROCESS_CODE}:{appeal.pk}", data=data,
        snapshot={k: v for k, v in data.items() if k != "approvers"},
        title=_("Appeal %(month)s %(name)s") % {"month": appeal.period, "name": appeal.subject_label},
        require_module=False)
    appeal.process = instance
    appeal.save(update_fields=["process"])
    return appeal


@transaction.atomic
def appeal_withdraw(*, user: Any, appeal: Appeal, reason: str = "") -> Appeal:
    """撤回: the appellant takes the appeal back (its process is withdrawn)."""
    from kam.processes import services as process_services

    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if getattr(user, "pk", None) is None or appeal.created_by_id != user.pk:
        raise PermissionDenied(_("Only the appellant may withdraw the appeal."))
    if appeal.status != AppealStatus.OPEN:
        raise ValidationError(_("The appeal is %(status)s: it can no longer be withdrawn.") % {
            "status": appeal.get_status_display()})
    if appeal.process_id is None:
        raise ValidationError(_("The appeal has no process."))
    process_services.instance_withdraw(user=user, instance=appeal.process, opinion=reason)
    appeal.refresh_from_db()
    return appeal


# --- the process's end -------------------------------------------------------------------------------------------


def _appeal_of(instance: Any) -> Appeal | None:
    prefix = f"{PROCESS_CODE}:"
    key = instance.business_key or ""
    if not key.startswith(prefix) or not key[len(prefix):].isdigit():
        return None
    appeal = Appeal.objects.select_for_update().filter(pk=int(key[len(prefix):])).first()
    if appeal is None or appeal.process_id not in (None, instance.pk) or appeal.status != AppealStatus.OPEN:
        return None
    return appeal


def _last_event(instance: Any, action: str, node_id: str | None = None):
    from kam.processes.models import TaskEvent

    events = TaskEvent.objects.filter(instance=instance, action=action).select_related("actor")
    if node_id:
        events = events.filter(node_id=node_id)
    return events.order_by("-at", "-id").first()


def on_process_ended(sender: Any, instance: Any, status: str, **kwargs: Any) -> None:
    """An appeal's process ended: accepted (the adjustment is made), rejected or withdrawn."""
    from kam.processes.models import EventAction, InstanceStatus

    from .services import adjustment_create

    appeal = _appeal_of(instance)
    if appeal is None:
        return
    confirmation = ResultConfirmation.objects.select_for_update().select_related("publication").get(
        pk=appeal.confirmation_id)
    now = clock.now()
    if status == InstanceStatus.COMPLETED:
        data = instance.data or {}
        review = _last_event(instance, EventAction.APPROVE, SUPERVISOR_STEP)
        decider = review.actor if review else None
        result = result_of(confirmation)
        if result is None:
            raise ValidationError(_("The result of this appeal no longer exists."))
        reason = str(data.get("decision_reason") or "").strip()
        adjustment = adjustment_create(
            user=decider, result=result, delta=data.get("adjust_delta"),
            reason=_("Appeal #%(id)s: %(reason)s") % {"id": appeal.pk, "reason": reason})
        appeal.status = AppealStatus.ACCEPTED
        appeal.decision_delta = adjustment.delta
        appeal.decision_reason = reason[:500]
        appeal.adjustment = adjustment
        appeal.decided_by = decider
    elif status == InstanceStatus.REJECTED:
        rejection = _last_event(instance, EventAction.REJECT)
        appeal.status = AppealStatus.REJECTED
        appeal.decision_reason = (rejection.opinion if rejection else "")[:500]
        appeal.decided_by = rejection.actor if rejection else None
    else:  # withdrawn or cancelled
        appeal.status = AppealStatus.WITHDRAWN
    appeal.decided_at = now
    appeal.save()
    if appeal.status != AppealStatus.WITHDRAWN:
        confirmation.state = ConfirmationState.CLOSED
    elif window_open(confirmation.publication):  # the result waits for confirmation again
        confirmation.state = ConfirmationState.PENDING
    else:  # … or is confirmed when the window has closed meanwhile
        confirmation.state, confirmation.auto_confirmed, confirmation.confirmed_at = (
            ConfirmationState.CONFIRMED, True, now)
    confirmation.save(update_fields=["state", "auto_confirmed", "confirmed_at"])


# --- reads ---------------------------------------------------------------------------------------------------------


def my_confirmations(user: Any) -> QuerySet[ResultConfirmation]:
    """考核结果确认: the user's own results of active publications (within their scope)."""
    return ResultConfirmation.objects.restrict(user, "view").filter(
        user_id=getattr(user, "pk", None), publication__withdrawn_at__isnull=True).select_related("publication")


def confirmation_for_result(user: Any, result: Result) -> ResultConfirmation | None:
    """The confirmation of ``result`` in the active publication, when the user may see it."""
    return ResultConfirmation.objects.restrict(user, "view").filter(
        period=result.period, subject_type=result.subject_type, subject_id=result.subject_id,
        publication__withdrawn_at__isnull=True).select_related("publication").first()


def with_confirmation_state(qs: QuerySet[Result]) -> QuerySet[Result]:
    """Results annotated with ``confirmation_state`` (empty when not published for confirmation)."""
    sub = ResultConfirmation.objects.filter(
        period=OuterRef("period"), subject_type=OuterRef("subject_type"), subject_id=OuterRef("subject_id"),
        publication__withdrawn_at__isnull=True).values("state")[:1]
    return qs.annotate(confirmation_state=Subquery(sub))


def todo_entries(user: Any, until: dt.datetime):
    """工作列表: the user's published results still to confirm (due at the end of the deadline day)."""
    from django.urls import reverse

    from kam.core.registry import TodoEntry

    rows = my_confirmations(user).filter(state=ConfirmationState.PENDING, publication__closed_at__isnull=True)
    url = reverse("assessment:confirmation_list")
    for c in rows.order_by("publication__deadline", "id")[:500]:
        yield TodoEntry(
            source=TODO_SOURCE, key=f"asmconfirm:{c.pk}",
            title=_("Confirm your assessment result of %(month)s") % {"month": c.period},
            due_at=deadline_at(c.publication.deadline), url=url,
            detail=_("Total %(total)s; confirm or appeal by %(day)s") % {
                "total": "" if c.published_total is None else kernel.round2(c.published_total),
                "day": c.publication.deadline.isoformat()})


def open_confirmations(keys) -> dict[str, dt.datetime | None]:
    """Which task-list keys (``asmconfirm:<id>``) still wait for confirmation, and their deadline
    (``TodoSource.current``: a reminder of a result confirmed or withdrawn since is not fired)."""
    from kam.core.registry import key_ids

    ids = key_ids(keys)
    rows = ResultConfirmation.objects.filter(
        pk__in=list(ids), state=ConfirmationState.PENDING, publication__withdrawn_at__isnull=True,
        publication__closed_at__isnull=True).values_list("pk", "publication__deadline")
    return {ids[pk]: deadline_at(deadline) for pk, deadline in rows}
