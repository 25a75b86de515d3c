"""Demo data of 工作列表: supervisors assigned items to their managers and subscribed to them."""

import random

import pytest
import time_machine

from kam.core.demo import DemoContext
from kam.org.demo import org_demo
from kam.org.models import User
from kam.todo.demo import todo_demo
from kam.todo.models import Subscription, TodoItem
from kam.todo.selectors import todo_list

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("hour", [10, 22])  # the item "due today" stays today's late in the evening too
def test_demo_items_on_managers_lists_and_supervisors_subscribed(hour):
    ctx = DemoContext(size="demo", rng=random.Random(5), password="Demo@pass-2026")
    with time_machine.travel(at(2026, 5, 20, hour, 0), tick=False):
        _check_demo(ctx)


def _check_demo(ctx):
    org_demo(ctx)
    todo_demo(ctx)
    items = list(TodoItem.objects.select_related("assignee", "assigned_by"))
    assert len(items) >= 12
    assert all(i.assigned_by_id == i.assignee.superior_id for i in items)
    manager = User.objects.get(username="manager")
    todo = todo_list(manager)
    assert todo.overdue_count >= 1 and todo.today_count >= 1
    supervisor = User.objects.get(username="supervisor")
    assert Subscription.objects.filter(user=supervisor, source="assigned").exists()
    assert any(line.subscribed for line in todo_list(supervisor).lines)
    todo_demo(ctx)  # a second run adds nothing
    assert TodoItem.objects.count() == len(items)
