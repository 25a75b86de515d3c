"""提醒: the scheduler's sweep plans one reminder per (user, source, key, due time) and fires it
when its time comes — exactly once, also with two sweeps at the same moment (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from kam.core.registry import TodoEntry
from kam.jobs.scheduler import PERIODIC
from kam.org.models import User
from kam.todo import services
from kam.todo.models import Reminder, ReminderCursor
from kam.todo.services import reminders_sweep

from .conftest import NOW, at


def _minutes(start: dt.datetime, n: int):
    for i in range(n):
        yield start + dt.timedelta(minutes=i)


@pytest.mark.django_db
def test_the_sweep_is_a_periodic_job_every_minute():
    assert PERIODIC["todo.reminders"].schedule == "60"
    assert PERIODIC["todo.reminders"].func_path == "kam.todo.services.reminders_sweep"


@pytest.mark.django_db
def test_own_items_and_subscribed_events_are_reminded_once_on_time(tworld, extra_source):
    me, sub = tworld.user("me"), tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        item = services.todo_item_create(user=me, assignee=sub, title="交办提醒", due_at=at(2026, 5, 20, 10, 30))
        services.subscription_create(user=me, source="assigned", lead_minutes=60)
        extra_source[sub.pk] = [TodoEntry("test_calls", "call:1", "外呼提醒", at(2026, 5, 20, 10, 5))]
    # me's reminder of sub's item is due at 09:30 (one hour ahead): fired at the first sweep (late by
    # less than the late limit); sub's own reminders fire at 10:05 and 10:30.
    fired_at: dict[tuple[int, str], dt.datetime] = {}
    for moment in _minutes(NOW, 40):
        with time_machine.travel(moment, tick=False):
            reminders_sweep()
            for r in Reminder.objects.filter(fired_at__isnull=False):
                fired_at.setdefault((r.user_id, r.key), r.fired_at)
    assert fired_at == {
        (me.pk, item.key): NOW,
        (sub.pk, "call:1"): at(2026, 5, 20, 10, 5),
        (sub.pk, item.key): at(2026, 5, 20, 10, 30),
    }
    assert Reminder.objects.count() == 3
    mine = Reminder.objects.get(user=me)
    assert mine.subscribed and mine.remind_at == at(2026, 5, 20, 9, 30)
    # Seen on the page and the home panel, then marked read.
    with time_machine.travel(at(2026, 5, 20, 10, 40), tick=False):
        client = Client()
        client.force_login(sub)
        home = client.get(reverse("home")).content.decode()
        assert "2 条未读提醒" in home
        page = client.get(reverse("todo:list")).content.decode()
        assert "外呼提醒" in page and "未读提醒" in page
        api = client.get("/api/v1/work/reminders/?unread=1").json()
        assert {r["title"] for r in api["results"]} == {"交办提醒", "外呼提醒"}
        first = api["results"][0]["id"]
        assert client.post(f"/api/v1/work/reminders/{first}/read/").json()["read_at"]
        assert client.post(reverse("todo:reminder_read_all")).status_code == 302
        assert not Reminder.objects.filter(user=sub, read_at__isnull=True).exists()
        assert "条未读提醒" not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_done_or_removed_items_are_not_reminded(tworld, extra_source):
    me, sub = tworld.user("me"), tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        item = services.todo_item_create(user=me, assignee=sub, title="已完成的", due_at=at(2026, 5, 20, 10, 10))
        extra_source[sub.pk] = [TodoEntry("test_calls", "call:2", "删掉的外呼", at(2026, 5, 20, 10, 10))]
        reminders_sweep()  # planned ahead
        assert Reminder.objects.filter(fired_at__isnull=True).count() == 2
        services.todo_item_done(user=sub, item=item)
        services.todo_dismiss(user=sub, source="test_calls", key="call:2")
    for moment in _minutes(NOW, 30):
        with time_machine.travel(moment, tick=False):
            reminders_sweep()
    assert not Reminder.objects.exists()


@pytest.mark.django_db
def test_the_sweep_is_bounded_per_run(tworld, extra_source):
    """Each run asks the sources of at most ``batch`` users; the others wait for their turn."""
    with time_machine.travel(NOW, tick=False):
        for user in tworld.users.values():
            extra_source[user.pk] = [TodoEntry("test_calls", f"call:{user.pk}", "外呼", NOW)]
            ReminderCursor.objects.create(user=user, next_check_at=NOW)
        services.reminders_plan(batch=2)
        assert Reminder.objects.values("user").distinct().count() == 2
        services.reminders_plan(batch=100)
        assert Reminder.objects.count() == len(tworld.users)
        services.reminders_plan(batch=100)  # nobody's turn again yet
        assert ReminderCursor.objects.filter(next_check_at__lte=NOW).count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="concurrent connections need PostgreSQL")
def test_two_concurrent_sweeps_remind_exactly_once(tworld, extra_source):
    with time_machine.travel(NOW, tick=False):
        me = tworld.user("me")
        for i in range(5):
            services.todo_item_create(user=me, assignee=tworld.user("sub"), title=f"并发{i}",
                                      due_at=NOW - dt.timedelta(minutes=i))
        for user in tworld.users.values():
            extra_source[user.pk] = [TodoEntry("test_calls", f"call:{user.pk}", "外呼", NOW)]
        services.subscription_create(user=me, source="assigned", lead_minutes=30)
        User.objects.update(last_login=NOW - dt.timedelta(days=1))  # everyone used the platform lately
    barrier = threading.Barrier(2)
    results: list = []

    def run():
        try:
            barrier.wait()
            results.append(reminders_sweep())
        except Exception as exc:  # noqa: BLE001 - reported below
            results.append(exc)
        finally:
            connections.close_all()

    with time_machine.travel(NOW + dt.timedelta(seconds=5), tick=False):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert all(isinstance(r, str) for r in results), results
    fired = sum(int(r.split("fired ")[1]) for r in results)
    expected = 5 + 5 + len(tworld.users)  # sub's items, me's subscribed events, one call each
    assert Reminder.objects.count() == expected
    assert fired == expected
    assert Reminder.objects.filter(fired_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_run_costs_the_same_however_many_users_wait(tworld, extra_source):
    """The queries of one run depend on the batch, not on the number of users waiting."""
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    users = list(tworld.users.values())

    def run_with(waiting: int) -> int:
        Reminder.objects.all().delete()
        ReminderCursor.objects.all().delete()
        for user in users[:waiting]:
            ReminderCursor.objects.create(user=user, next_check_at=NOW)
        for user in users[waiting:]:
            ReminderCursor.objects.create(user=user, next_check_at=NOW + dt.timedelta(hours=1))
        with CaptureQueriesContext(conn) as ctx:
            services.reminders_plan(NOW, batch=2)
        return len(ctx.captured_queries)

    with time_machine.travel(NOW, tick=False):
        assert run_with(2) == run_with(len(users))
