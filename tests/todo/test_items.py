"""领导交办: a leader or supervisor assigns to-dos only within their data scope (R-PERM-1), pages
and API alike; the assignee marks them done."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from kam.org.models import DataScope
from kam.org.permissions import clear_cache
from kam.todo import services
from kam.todo.models import TodoItem
from tests.helpers.world import grant_role

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def test_supervisor_assigns_to_subordinates_only(tworld):
    """R-PERM-1: "me" (own and subordinates) may assign to "sub" and to themself, not to a peer."""
    me = tworld.user("me")
    with time_machine.travel(NOW, tick=False):
        item = services.todo_item_create(user=me, assignee=tworld.user("sub"), title="拜访客户", due_at=NOW)
        assert item.assigned_by == me and item.assignee == tworld.user("sub")
        services.todo_item_create(user=me, assignee=me, title="自己的待办", due_at=NOW)
        for name in ("peer", "dept", "city_a", "other"):
            with pytest.raises(ValidationError) as exc:
                services.todo_item_create(user=me, assignee=tworld.user(name), title="越权", due_at=NOW)
            assert "assignee" in exc.value.message_dict
        assert not TodoItem.objects.filter(title="越权").exists()


def test_leader_with_subtree_assigns_within_the_subtree(tworld):
    city = tworld.user("city_a")
    grant_role(city, "todo_items", DataScope.SUBTREE, actions=("view", "change"))
    clear_cache(city)
    with time_machine.travel(NOW, tick=False):
        for name in ("me", "peer", "dept", "sub"):
            services.todo_item_create(user=city, assignee=tworld.user(name), title=f"交办{name}", due_at=NOW)
        with pytest.raises(ValidationError):
            services.todo_item_create(user=city, assignee=tworld.user("other"), title="乙市", due_at=NOW)


def test_without_change_grant_nobody_assigns(tworld):
    peer = tworld.user("peer")
    peer.roles.filter(code="items_own").delete()
    clear_cache(peer)
    with pytest.raises(PermissionDenied):
        services.todo_item_create(user=peer, assignee=peer, title="无权", due_at=NOW)


def test_assign_page_offers_and_accepts_only_users_in_scope(tworld):
    me = tworld.user("me")
    client = Client()
    client.force_login(me)
    with time_machine.travel(NOW, tick=False):
        form = client.get(reverse("todo:item_create"))
        assert form.status_code == 200
        choices = {str(u.pk) for u in form.context["form"].fields["assignee"].queryset}
        assert choices == {str(me.pk), str(tworld.user("sub").pk)}
        bad = client.post(reverse("todo:item_create"), {"assignee": tworld.user("peer").pk, "title": "越权",
                                                        "due_at": "2026-05-20T15:00"})
        assert bad.status_code == 200 and not TodoItem.objects.exists()
        assert "assignee" in bad.context["form"].errors
        ok = client.post(reverse("todo:item_create"), {"assignee": tworld.user("sub").pk, "title": "整理日志",
                                                       "due_at": "2026-05-20T15:00", "detail": "周五前"},
                         follow=True)
        assert ok.status_code == 200
        item = TodoItem.objects.get()
        assert item.due_at == at(2026, 5, 20, 15, 0) and item.assigned_by == me
        assert "已将“整理日志”交办给sub。" in ok.content.decode()


def test_api_assigns_within_scope_and_refuses_outside(tworld):
    me = tworld.user("me")
    client = Client()
    client.force_login(me)
    with time_machine.travel(NOW, tick=False):
        ok = client.post("/api/v1/work/todo-items/", {"assignee": tworld.user("sub").pk, "title": "接口交办",
                                                      "due_at": "2026-05-20T16:00:00+08:00"},
                         content_type="application/json")
        assert ok.status_code == 201, ok.content
        assert ok.json()["assigned_by"] == "me" and ok.json()["overdue"] is False
        bad = client.post("/api/v1/work/todo-items/", {"assignee": tworld.user("other").pk, "title": "越权",
                                                       "due_at": "2026-05-20T16:00:00+08:00"},
                          content_type="application/json")
        assert bad.status_code == 400 and "assignee" in bad.json()
        pk = ok.json()["id"]
        patch = client.patch(f"/api/v1/work/todo-items/{pk}/", {"title": "改过的标题"},
                             content_type="application/json")
        assert patch.status_code == 200 and patch.json()["title"] == "改过的标题"
        # The assignee marks it done; a stranger cannot even see it.
        sub = Client()
        sub.force_login(tworld.user("sub"))
        assert sub.post(f"/api/v1/work/todo-items/{pk}/done/").json()["done"] is True
        stranger = Client()
        stranger.force_login(tworld.user("peer"))
        assert stranger.post(f"/api/v1/work/todo-items/{pk}/done/").status_code == 404


def test_assignee_without_change_on_others_cannot_mark_someone_elses_item(tworld):
    me, sub = tworld.user("me"), tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        mine = services.todo_item_create(user=me, assignee=me, title="我的", due_at=NOW)
        with pytest.raises(PermissionDenied):
            services.todo_item_done(user=sub, item=mine)
        done = services.todo_item_done(user=me, item=mine)
        assert done.done and done.done_at == NOW
