"""The remaining pages and the OpenAPI description of 工作列表."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from kam.todo import services
from kam.todo.models import Subscription, TodoItem

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def test_openapi_describes_the_work_endpoints(tworld):
    client = Client()
    client.force_login(tworld.user("me"))
    resp = client.get("/api/v1/schema/", {"format": "json"})
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    for path in ("/api/v1/work/todo/", "/api/v1/work/todo/dismiss/", "/api/v1/work/todo-items/",
                 "/api/v1/work/todo-items/{id}/done/", "/api/v1/work/subscriptions/", "/api/v1/work/reminders/",
                 "/api/v1/work/reminders/{id}/read/", "/api/v1/work/reminders/read-all/"):
        assert path in paths, path


def test_leader_edits_and_deletes_an_item_assignee_only_sees_it(tworld):
    me, sub = tworld.user("me"), tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        item = services.todo_item_create(user=me, assignee=sub, title="原标题", due_at=at(2026, 5, 20, 15, 0))
        leader = Client()
        leader.force_login(me)
        detail = leader.get(reverse("todo:item_detail", args=[item.pk])).content.decode()
        assert "原标题" in detail and "修改" in detail and "标记完成" in detail
        resp = leader.post(reverse("todo:item_edit", args=[item.pk]),
                           {"title": "新标题", "due_at": "2026-05-21T09:00", "detail": ""})
        assert resp.status_code == 302
        item.refresh_from_db()
        assert item.title == "新标题" and item.due_at == at(2026, 5, 21, 9, 0) and item.assignee == sub
        assignee = Client()
        assignee.force_login(sub)
        page = assignee.get(reverse("todo:item_detail", args=[item.pk])).content.decode()
        assert "新标题" in page and "标记完成" in page
        # "sub" holds change on their own items only through the item's scope: they may edit it too,
        # but a peer cannot even open it.
        peer = Client()
        peer.force_login(tworld.user("peer"))
        assert peer.get(reverse("todo:item_detail", args=[item.pk])).status_code == 404
        assert leader.post(reverse("todo:item_delete", args=[item.pk])).status_code == 302
        assert not TodoItem.objects.exists()


def test_item_list_and_subscription_and_reminder_pages_render(tworld):
    me = tworld.user("me")
    with time_machine.travel(NOW, tick=False):
        services.todo_item_create(user=me, assignee=tworld.user("sub"), title="列表里的", due_at=at(2026, 5, 19, 9))
        services.subscription_create(user=me, source="assigned", lead_minutes=90)
        client = Client()
        client.force_login(me)
        items = client.get(reverse("todo:item_list")).content.decode()
        assert "列表里的" in items and "bi-alarm" in items  # overdue marked
        subs = client.get(reverse("todo:subscription_list")).content.decode()
        assert "领导交办" in subs and "提前 90 分钟" in subs and "取消订阅" in subs
        assert client.get(reverse("todo:reminder_list")).status_code == 200
        en = client.get(reverse("todo:list"), HTTP_ACCEPT_LANGUAGE="en")
        assert en.status_code == 200


def test_subscription_page_changes_the_lead_time(tworld):
    """R-WORK-4 订阅: the page changes a subscription's lead time (修改 prefills the form; subscribing
    to the same event type again updates it)."""
    me = tworld.user("me")
    with time_machine.travel(NOW, tick=False):
        sub = services.subscription_create(user=me, source="assigned", lead_minutes=90)
        client = Client()
        client.force_login(me)
        page = client.get(reverse("todo:subscription_list") + f"?edit={sub.pk}").content.decode()
        assert "修改提前时间" in page
        assert 'value="90"' in page and '<option value="minutes" selected>' in page
        resp = client.post(reverse("todo:subscription_list"),
                           {"source": "assigned", "lead_value": "2", "lead_unit": "days"}, follow=True)
        assert "提前 2 天" in resp.content.decode()
        sub.refresh_from_db()
        assert sub.lead_minutes == 2880
        assert Subscription.objects.filter(user=me).count() == 1
        again = client.get(reverse("todo:subscription_list") + f"?edit={sub.pk}").content.decode()
        assert 'value="2"' in again and '<option value="days" selected>' in again
        # someone else's subscription is not filled in
        other = services.subscription_create(user=tworld.user("sub"), source="assigned", lead_minutes=30)
        blank = client.get(reverse("todo:subscription_list") + f"?edit={other.pk}").content.decode()
        assert 'value="30"' not in blank
