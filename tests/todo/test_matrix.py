"""R-PERM-1 on every list and detail of 工作列表: the permission matrix over the assigned items,
subscriptions and reminders (pages and API), and over the subscribed ``assigned`` events on the
task list (R-WORK-4)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from kam.core import clock
from kam.org.models import DataScope
from kam.org.permissions import clear_cache
from kam.todo.models import Reminder, Subscription, TodoItem
from tests.helpers.matrix import (
    WORLD_USERS,
    Probe,
    api_detail_probe,
    api_list_probe,
    page_detail_probe,
    page_list_probe,
    run_matrix,
)
from tests.helpers.world import grant_role

from .conftest import NOW

pytestmark = pytest.mark.django_db


def _items(world) -> dict[str, TodoItem]:
    return {label: TodoItem.objects.create(assignee=world.user(label), title=f"交办{label}",
                                           due_at=clock.now() + dt.timedelta(hours=2)) for label in WORLD_USERS}


def test_assigned_items_pages_and_api_follow_the_scope(world):
    records = _items(world)
    run_matrix(world, "todo_items", records, [
        api_list_probe("/api/v1/work/todo-items/"),
        api_detail_probe(lambda o: f"/api/v1/work/todo-items/{o.pk}/"),
        page_list_probe(reverse("todo:item_list")),
        page_detail_probe(lambda o: reverse("todo:item_detail", args=[o.pk])),
    ])


def test_subscriptions_pages_and_api_follow_the_scope(world):
    records = {label: Subscription.objects.create(user=world.user(label), source="assigned", lead_minutes=60)
               for label in WORLD_USERS}
    run_matrix(world, "todo", records, [
        api_list_probe("/api/v1/work/subscriptions/"),
        api_detail_probe(lambda o: f"/api/v1/work/subscriptions/{o.pk}/"),
        page_list_probe(reverse("todo:subscription_list")),
    ])


def test_reminders_pages_and_api_follow_the_scope(world):
    now = clock.now()
    records = {label: Reminder.objects.create(user=world.user(label), source="assigned", key=f"todoitem:{i}",
                                              due_at=now, remind_at=now, fired_at=now, title=f"提醒{label}")
               for i, label in enumerate(WORLD_USERS)}
    run_matrix(world, "todo", records, [
        api_list_probe("/api/v1/work/reminders/"),
        api_detail_probe(lambda o: f"/api/v1/work/reminders/{o.pk}/"),
        page_list_probe(reverse("todo:reminder_list")),
    ])


def _todo_events_probe(kind: str) -> Probe:
    """The subscribed ``assigned`` events on the task list of "me" (page or API), by item key."""

    def see(client: Client, records):
        if kind == "api":
            resp = client.get("/api/v1/work/todo/")
            assert resp.status_code == 200
            keys = {r["key"] for r in resp.json()["results"]}
        else:
            resp = client.get(reverse("todo:list"))
            assert resp.status_code == 200
            keys = {line.key for line in resp.context["lines"]}
        return {label for label, obj in records.items() if obj.key in keys}

    return Probe(f"task list {kind}", see)


def test_subscribed_events_on_the_task_list_follow_the_scope(world):
    """R-WORK-4: a subscription to ``assigned`` shows exactly the items the subscriber's grant reaches."""
    with time_machine.travel(NOW, tick=False):
        records = _items(world)
        Subscription.objects.create(user=world.user("me"), source="assigned", lead_minutes=24 * 60)
        run_matrix(world, "todo_items", records, [_todo_events_probe("page"), _todo_events_probe("api")],
                   actions=("view",), login=_login_with_subscriptions,
                   # The item assigned to "me" is on their own list whatever the scope (its assignee).
                   expected={DataScope.CUSTOM: {"me", "other"}})


def _login_with_subscriptions(client: Client, user) -> None:
    """Each case also keeps the subscriber's own ``todo`` grant (subscriptions and reminders)."""
    grant_role(user, "todo", DataScope.OWN, actions=("view", "change"))
    clear_cache(user)
    client.force_login(user)


def test_task_list_needs_a_login():
    client = Client()
    assert client.get(reverse("todo:list")).status_code == 302
    assert client.get("/api/v1/work/todo/").status_code in (401, 403)
