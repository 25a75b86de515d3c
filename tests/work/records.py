"""Work records placed at each world user's unit and owned by that user, for the permission matrix."""

from __future__ import annotations

import datetime as dt

from kam.core import clock
from kam.work.models import Appointment, CallSession, DoNotDisturb, Execution, Task, WorkItem
from tests.helpers.matrix import WORLD_USERS


def items(ww, state="open") -> dict[str, WorkItem]:
    now = clock.now()
    out = {}
    for label in WORLD_USERS:
        user = ww[label]
        out[label] = WorkItem.objects.create(
            title=f"工作{label}", customer=ww.customers[label], manager=user, org_unit=user.org_unit, created_by=user,
            planned_at=now, due_at=now + dt.timedelta(days=3), state=state,
            completed_at=None if state == "open" else now, result="" if state == "open" else "success")
    return out


def executions(ww) -> dict[str, Execution]:
    return {label: Execution.objects.create(work_item=item, channel="call", branch="success", sub_result="agree",
                                            result="success", executed_by=item.manager)
            for label, item in items(ww, state="done").items()}


def appointments(ww) -> dict[str, Appointment]:
    return {label: Appointment.objects.create(work_item=item, at=clock.now() + dt.timedelta(days=1),
                                              created_by=item.manager)
            for label, item in items(ww).items()}


def dnd(ww) -> dict[str, DoNotDisturb]:
    now = clock.now()
    return {label: DoNotDisturb.objects.create(customer=ww.customers[label], starts_at=now,
                                               ends_at=now + dt.timedelta(days=2), created_by=ww[label])
            for label in WORLD_USERS}


def sessions(ww) -> dict[str, CallSession]:
    return {label: CallSession.objects.create(user=ww[label]) for label in WORLD_USERS}


def tasks(ww) -> dict[str, Task]:
    today = clock.today()
    return {label: Task.objects.create(name=f"任务{label}", start_on=today, due_on=today, created_by=ww[label],
                                       org_unit=ww[label].org_unit)
            for label in WORLD_USERS}
