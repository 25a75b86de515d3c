"""Helpers of the result confirmation and appeal tests (§7 beyond seeds, decision 0026); the fixtures
``appeals_computed`` and ``appeals_published`` are in conftest.py.

March 2026 is computed by the automatic run on 7 April; the people:

- ``sub`` (二区, account manager, superior ``me``) and ``peer`` (一区, account manager) are assessed;
- ``me`` (一区) is ``sub``'s supervisor (built-in role 客户经理主管: assessment change on 本人及下属);
- ``asm_admin`` (省, 系统管理员) publishes;
- ``city_rev`` (甲市, 市大客户中心) does the second review (考核管理员复核) of large adjustments.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from kam.assessment.models import Result, ResultConfirmation
from kam.processes.models import HumanTask
from kam.processes.selectors import tasks_todo
from kam.processes.services import task_complete

from .conftest import MONTH

ROWS = {"me": (100000, 12, 3), "peer": (55000, 9, 1), "sub": (90000, 10, 0), "dept": ("99999.99", 10, 2)}
SUB_TOTAL = D("45.3")
COMPUTE_DAY = dt.date(2026, 4, 7)
PUBLISH_DAY = dt.date(2026, 4, 8)
IN_WINDOW = dt.date(2026, 4, 10)
DEADLINE = dt.date(2026, 4, 15)


def confirmation_of(world, name: str) -> ResultConfirmation:
    return ResultConfirmation.objects.get(period=MONTH, user=world.user(name), publication__withdrawn_at__isnull=True)


def result_of(world, name: str) -> Result:
    return Result.objects.get(period=MONTH, user=world.user(name))


def task_in_list(user, node_name: str) -> HumanTask:
    """The user's one open task ``node_name`` from 我的待办 (the task page's selector)."""
    found = [t for t in tasks_todo(user) if t.node_name == node_name]
    assert len(found) == 1, (user.username, node_name, [t.node_name for t in tasks_todo(user)])
    return found[0]


def answer(user, node_name: str, action: str = "approve", opinion: str = "", data: dict | None = None,
           target_node: str | None = None):
    task = task_in_list(user, node_name)
    return task_complete(user=user, task=task, action=action, opinion=opinion, data=data,
                         expected_version=task.version, target_node=target_node)
