"""The task list (工作列表, REQUIREMENTS §3): today's and overdue lines of every source the user
may see, sorted by due time, overdue marked, future excluded; a removed line stays removed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from kam.core.registry import TodoEntry
from kam.org.models import DataScope
from kam.org.permissions import clear_cache
from kam.processes import services as process_services
from kam.processes.loader import load_shipped_definitions
from kam.processes.models import HumanTask
from kam.todo import services
from kam.todo.models import Dismissal, TodoItem
from kam.todo.selectors import todo_list
from tests.helpers.world import grant_role

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def _assign(by, to, title, due):
    return services.todo_item_create(user=by, assignee=to, title=title, due_at=due)


def test_list_composes_sources_today_and_overdue_sorted_future_excluded(tworld, extra_source):
    """Lines from the assigned items, process tasks and a further registered source, with the clock
    moved: overdue and today's lines in due order, tomorrow's left out."""
    me, sub = tworld.user("me"), tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        _assign(me, me, "昨天到期", at(2026, 5, 19, 17, 0))
        _assign(me, me, "今天下午", at(2026, 5, 20, 15, 0))
        _assign(me, me, "明天到期", at(2026, 5, 21, 9, 0))
        extra_source[me.pk] = [
            TodoEntry("test_calls", "call:1", "外呼张三", at(2026, 5, 20, 9, 30)),
            TodoEntry("test_calls", "call:2", "外呼李四", at(2026, 5, 22, 9, 30)),
        ]
        load_shipped_definitions()
        grant_role(sub, "processes", DataScope.OWN, actions=("view", "change"))
        grant_role(me, "processes", DataScope.OWN, actions=("view", "change"))
        clear_cache(sub)
        clear_cache(me)
        process_services.instance_start(user=sub, definition_code="two_step_approval", business_key="T-1",
                                        title="报销申请")
        assert HumanTask.objects.filter(assignee=me).update(due_at=at(2026, 5, 20, 11, 0)) == 1

        todo = todo_list(me)
        titles = [line.title for line in todo.lines]
        assert titles[:2] == ["昨天到期", "外呼张三"]
        assert "报销申请" in titles[2]
        assert titles[3] == "今天下午"
        assert len(titles) == 4  # tomorrow's item and the call of the 22nd are not on today's list
        assert [line.overdue for line in todo.lines] == [True, True, False, False]
        assert (todo.overdue_count, todo.today_count) == (2, 2)
        assert todo.counts == {"assigned": 2, "test_calls": 1, "process_task": 1}
        only = todo_list(me, source="test_calls")
        assert [line.title for line in only.lines] == ["外呼张三"]

    # The next morning tomorrow's item has come; yesterday's is still overdue until done.
    with time_machine.travel(at(2026, 5, 21, 8, 0), tick=False):
        titles = [line.title for line in todo_list(me).lines]
        assert "明天到期" in titles and "昨天到期" in titles and "外呼李四" not in titles


def test_a_source_is_asked_only_with_view_on_its_module(tworld):
    """The assigned-items source needs ``view`` on ``todo_items``: without it the list leaves them out."""
    me, sub = tworld.user("me"), tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        _assign(me, sub, "交办一", at(2026, 5, 20, 12, 0))
        assert [line.title for line in todo_list(sub).lines] == ["交办一"]
        sub.roles.filter(code="items_own").delete()
        clear_cache(sub)
        assert todo_list(sub).lines == []


def test_removed_line_stays_removed_page_and_api(tworld, extra_source):
    me, sub = tworld.user("me"), tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        item = _assign(me, sub, "删除我", at(2026, 5, 20, 12, 0))
        extra_source[sub.pk] = [TodoEntry("test_calls", "call:9", "外呼王五", at(2026, 5, 20, 9, 0))]
        client = Client()
        client.force_login(sub)
        page = client.get(reverse("todo:list"))
        assert page.status_code == 200
        html = page.content.decode()
        assert "删除我" in html and "外呼王五" in html and "逾期" in html
        resp = client.post(reverse("todo:dismiss"), {"source": "assigned", "key": item.key}, HTTP_HX_REQUEST="true")
        assert resp.status_code == 200 and resp.content == b""
        api = client.post("/api/v1/work/todo/dismiss/", {"source": "test_calls", "key": "call:9"},
                          content_type="application/json")
        assert api.status_code == 204
        assert Dismissal.objects.filter(user=sub).count() == 2
        assert "删除我" not in client.get(reverse("todo:list")).content.decode()
        data = client.get("/api/v1/work/todo/").json()
        assert data["results"] == [] and data["today"] == 0 and data["overdue"] == 0
        bad = client.post("/api/v1/work/todo/dismiss/", {"source": "nope", "key": "x"},
                          content_type="application/json")
        assert bad.status_code == 400 and "source" in bad.json()
    # Still removed the next day, while the item itself stays open.
    with time_machine.travel(at(2026, 5, 21, 9, 0), tick=False):
        assert todo_list(sub).lines == []
        assert TodoItem.objects.get(pk=item.pk).done is False


def test_assignee_marks_item_done_and_it_leaves_the_list(tworld):
    me, sub = tworld.user("me"), tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        item = _assign(me, sub, "完成我", at(2026, 5, 20, 12, 0))
        client = Client()
        client.force_login(sub)
        resp = client.post(reverse("todo:item_done", args=[item.pk]), {"next": reverse("todo:list")}, follow=True)
        assert resp.status_code == 200
        assert "已完成" in resp.content.decode()
        assert TodoItem.objects.get(pk=item.pk).done
        assert todo_list(sub).lines == []
        again = client.post(f"/api/v1/work/todo-items/{item.pk}/done/")
        assert again.status_code == 400 and "done" in again.json()


def test_home_panel_shows_counts_and_first_lines(tworld):
    me, sub = tworld.user("me"), tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        _assign(me, sub, "逾期的交办", at(2026, 5, 20, 8, 0))
        _assign(me, sub, "今天的交办", at(2026, 5, 20, 18, 0))
        client = Client()
        client.force_login(sub)
        html = client.get(reverse("home")).content.decode()
        assert 'data-panel="todo.list"' in html
        assert "逾期的交办" in html and "今天的交办" in html
        assert 'class="kam-today-count">1<' in html and 'class="kam-overdue-count">1<' in html
        # Nobody with nothing to do gets an empty panel.
        other = Client()
        other.force_login(tworld.user("other"))
        assert 'data-panel="todo.list"' not in other.get(reverse("home")).content.decode()


def test_no_time_limit_lines_come_last(tworld, extra_source):
    sub = tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        extra_source[sub.pk] = [TodoEntry("test_calls", "c:1", "无时限"),
                                TodoEntry("test_calls", "c:2", "有时限", at(2026, 5, 20, 11, 0))]
        assert [line.title for line in todo_list(sub).lines] == ["有时限", "无时限"]
        assert dt.timedelta(0) < at(2026, 5, 20, 11, 0) - NOW


def test_every_registered_source_answers(tworld):
    """Whatever other apps register (work items, appointments, visits…): a user who may see every
    source gets a list and a reminder plan without error, subscribed to every event type."""
    from kam.core.registry import TODO_SOURCES
    from kam.todo.selectors import event_types

    boss = tworld.user("city_a")
    boss.is_superuser = True
    boss.save()
    with time_machine.travel(NOW, tick=False):
        for source in event_types(boss):
            services.subscription_create(user=boss, source=source.code, lead_minutes=60)
        todo = todo_list(boss)
        assert set(todo.counts) <= set(TODO_SOURCES)
        assert services.plan_user_reminders(boss, NOW) == []
        client = Client()
        client.force_login(boss)
        assert client.get(reverse("todo:list")).status_code == 200
        assert client.get(reverse("home")).status_code == 200
