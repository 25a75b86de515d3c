"""The permission world with the task-list grants, and a test-local source over a real model."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kam.core.registry import TODO_SOURCES, TodoEntry, TodoSource, register_todo_source
from kam.org.models import DataScope
from kam.org.permissions import clear_cache
from tests.helpers.world import grant_role

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


# 2026-05-20 10:00 local: the moment most tests stand at.
NOW = at(2026, 5, 20, 10, 0)


@pytest.fixture
def tworld(world):
    """Every world user keeps their own subscriptions and reminders (module ``todo``, own) and
    sees the items assigned to them (``todo_items``, own); "me" supervises "sub" (own and
    subordinates' items)."""
    todo = grant_role(world.user("me"), "todo", DataScope.OWN, actions=("view", "change"), code="todo_own")
    items = grant_role(world.user("peer"), "todo_items", DataScope.OWN, actions=("view", "change"), code="items_own")
    for name, user in world.users.items():
        user.roles.add(todo)
        if name != "me":
            user.roles.add(items)
        clear_cache(user)
    grant_role(world.user("me"), "todo_items", DataScope.OWN_AND_SUBORDINATES, actions=("view", "change"),
               code="items_sup")
    clear_cache(world.user("me"))
    return world


@pytest.fixture
def extra_source():
    """A test-local source: "calls" due at fixed times for every user (no module gate), registered for
    the test only."""
    calls: dict[int, list[TodoEntry]] = {}

    def entries(user, until):
        return [e for e in calls.get(user.pk, []) if e.due_at is None or e.due_at < until]

    register_todo_source(TodoSource(code="test_calls", label="外呼测试", entries=entries))
    yield calls
    TODO_SOURCES.pop("test_calls", None)
