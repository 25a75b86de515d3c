"""Reads of 工作管理: do-not-disturb windows, the open check-in, the customers a task reaches and the
built-in assessment metrics (set-based, grouped by manager)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from kam.core import clock
from kam.customers.models import Customer

from .models import CallSession, Channel, DoNotDisturb, Execution, Result, State, Task, TaskTarget, WorkItem

# --- do not disturb (R-WORK-3) --------------------------------------------------------------------


def dnd_active_q(at: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_at__lte": at, f"{prefix}ends_at__gt": at})


def dnd_customer_ids(customer_ids: Iterable[int], at: dt.datetime | None = None) -> set[int]:
    """The customers among ``customer_ids`` inside a do-not-disturb window at ``at`` (default now),
    in one query — for badges on lists that show customers."""
    ids = list(customer_ids)
    if not ids:
        return set()
    at = at or clock.now()
    return set(DoNotDisturb.objects.filter(dnd_active_q(at), customer_id__in=ids)
               .values_list("customer_id", flat=True).distinct())


def dnd_windows(customer_ids: Iterable[int], at: dt.datetime | None = None) -> dict[int, DoNotDisturb]:
    """The active window of each customer in ``customer_ids`` at ``at`` (the one ending last)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    at = at or clock.now()
    found: dict[int, DoNotDisturb] = {}
    for w in DoNotDisturb.objects.filter(dnd_active_q(at), customer_id__in=ids).order_by("ends_at"):
        found[w.customer_id] = w
    return found


def dnd_active(customer: Customer | int, at: dt.datetime | None = None) -> DoNotDisturb | None:
    pk = customer if isinstance(customer, int) else customer.pk
    return dnd_windows([pk], at).get(pk)


def dnd_current_and_future(customer: Customer) -> list[DoNotDisturb]:
    """The windows of ``customer`` not yet over (shown wherever the customer appears)."""
    return list(DoNotDisturb.objects.filter(customer=customer, ends_at__gt=clock.now())
                .select_related("created_by").order_by("starts_at"))


# --- call bar (R-WORK-1) --------------------------------------------------------------------------


def open_session(user: Any) -> CallSession | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return CallSession.objects.filter(user_id=user.pk, ended_at__isnull=True).order_by("-started_at").first()


# --- tasks -----------------------------------------------------------------------------------------

CRITERIA_FIELDS = ("industry", "level", "org_unit", "manager", "q", "is_headquarters")


def apply_criteria(qs: QuerySet, criteria: dict[str, Any]) -> QuerySet:
    """Customers matching a task's filter: industry, level, owning unit (and below), account manager,
    name / number text, headquarters flag."""
    from kam.org.models import OrgUnit

    c = criteria or {}
    if c.get("industry"):
        qs = qs.filter(industry=c["industry"])
    if c.get("level"):
        qs = qs.filter(level=c["level"])
    if c.get("org_unit"):
        unit = OrgUnit.objects.filter(pk=c["org_unit"]).first()
        qs = qs.filter(org_unit__path__startswith=unit.path) if unit else qs.none()
    if c.get("manager"):
        qs = qs.filter(pk__in=_relationships().filter(manager_id=c["manager"]).values("customer_id"))
    if c.get("q"):
        qs = qs.search(c["q"])
    if c.get("is_headquarters") in (True, False):
        qs = qs.filter(is_headquarters=c["is_headquarters"])
    return qs


def _relationships():
    from kam.customers.models import Relationship

    return Relationship.objects.all()


def task_customers(task: Task) -> QuerySet:
    """The customers a task reaches: its imported list or its filter, within the scope of the user
    who made it."""
    qs = Customer.objects.restrict(task.created_by, "view")
    if task.imported:
        return qs.filter(pk__in=TaskTarget.objects.filter(task=task).values("customer_id"))
    return apply_criteria(qs, task.criteria)


# --- built-in metrics (per manager and month, one GROUP BY each) ------------------------------------


def month_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    year, month = (int(x) for x in period.split("-"))
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    last = calendar.monthrange(year, month)[1]
    end = dt.datetime(year, month, last, tzinfo=tz) + dt.timedelta(days=1)
    return start, end


def _executions(period: str, channel: str) -> QuerySet:
    start, end = month_bounds(period)
    return Execution.objects.filter(executed_at__gte=start, executed_at__lt=end, channel=channel)


def metric_calls(period: str) -> dict[int, Decimal]:
    """外呼数: calls made by each manager in the month."""
    rows = _executions(period, Channel.CALL).values("executed_by").annotate(n=Count("id")).order_by()
    return {r["executed_by"]: Decimal(r["n"]) for r in rows}


def metric_call_success_rate(period: str) -> dict[int, Decimal]:
    """外呼成功率 (%): calls with result success / calls made, 0–100 with 2 decimals."""
    rows = (_executions(period, Channel.CALL).values("executed_by")
            .annotate(n=Count("id"), ok=Count("id", filter=Q(result=Result.SUCCESS))).order_by())
    return {r["executed_by"]: (Decimal(r["ok"] * 100) / Decimal(r["n"])).quantize(Decimal("0.01"))
            for r in rows if r["n"]}


def metric_visits(period: str) -> dict[int, Decimal]:
    """走访数: visits made by each manager in the month."""
    rows = _executions(period, Channel.VISIT).values("executed_by").annotate(n=Count("id")).order_by()
    return {r["executed_by"]: Decimal(r["n"]) for r in rows}


def metric_done_on_time(period: str) -> dict[int, Decimal]:
    """按时完成工作数: work items completed in the month no later than their due time."""
    start, end = month_bounds(period)
    rows = (WorkItem.objects.filter(state=State.DONE, completed_at__gte=start, completed_at__lt=end,
                                    completed_at__lte=F("due_at"))
            .values("manager").annotate(n=Count("id")).order_by())
    return {r["manager"]: Decimal(r["n"]) for r in rows}



def describe_criteria(task: Task) -> str:
    """A task's customer choice in words (shown on the task)."""
    from django.utils.translation import gettext as _

    from kam.org.models import OrgUnit, User
    from kam.system.selectors import dict_label

    if task.imported:
        return _("Imported list of %(n)d customers") % {"n": task.targets.count()}
    c = task.criteria or {}
    parts = []
    if c.get("industry"):
        parts.append(f"{_('Industry')}: {dict_label('industry', c['industry'])}")
    if c.get("level"):
        parts.append(f"{_('Customer level')}: {dict_label('customer_level', c['level'])}")
    if c.get("org_unit"):
        unit = OrgUnit.objects.filter(pk=c["org_unit"]).first()
        parts.append(f"{_('Owning unit (and below)')}: {unit.name if unit else '—'}")
    if c.get("manager"):
        user = User.objects.filter(pk=c["manager"]).first()
        parts.append(f"{_('Account manager')}: {user.name if user else '—'}")
    if c.get("q"):
        parts.append(f"{_('Name or key-customer number contains')}: {c['q']}")
    return "；".join(parts) or _("All customers in the creator's data scope")
