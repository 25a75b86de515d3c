"""订阅 (R-WORK-4): event types with a lead time (提前提醒), never beyond the subscriber's own
permissions — a type whose module the user may not query is refused (service, page, API), and
the subscribed events are only those within the subscriber's data scope."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kam.core.registry import TODO_SOURCES, TodoEntry, TodoSource, register_todo_source
from kam.customers.models import Customer
from kam.org.models import DataScope
from kam.org.permissions import clear_cache
from kam.todo import services
from kam.todo.models import Subscription
from kam.todo.selectors import todo_list
from tests.customers.records import customers
from tests.helpers.world import grant_role

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def _customer_events(user, start, until):
    """A test-local event type over a real scoped model: a customer's anniversary (its created_at)."""
    qs = Customer.objects.restrict(user, "view").filter(created_at__gte=start, created_at__lt=until)
    for c in qs.order_by("created_at", "pk"):
        yield TodoEntry("test_customer_day", f"customer:{c.pk}", f"客户纪念日 {c.name}", c.created_at)


@pytest.fixture
def customer_source():
    register_todo_source(TodoSource(code="test_customer_day", label="客户纪念日", events=_customer_events,
                                    module="customers"))
    yield
    TODO_SOURCES.pop("test_customer_day", None)


def _titles(user) -> list[str]:
    return [line.title for line in todo_list(user).lines]


def test_lead_time_brings_a_subscribed_event_in_early(tworld):
    """An item due at 15:00, subscribed with 2 hours' lead: on the list from 13:00, not at 12:59."""
    me, sub = tworld.user("me"), tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        services.todo_item_create(user=me, assignee=sub, title="下属的交办", due_at=at(2026, 5, 20, 15, 0))
        sub_ = services.subscription_create(user=me, source="assigned", lead_minutes=120)
        assert sub_.lead_display == "提前 2 小时"
    with time_machine.travel(at(2026, 5, 20, 12, 59), tick=False):
        assert _titles(me) == []
    with time_machine.travel(at(2026, 5, 20, 13, 0, 1), tick=False):
        [line] = todo_list(me).lines
        assert line.title == "下属的交办" and line.subscribed and not line.overdue
        assert "sub" in line.detail  # 承办人
    # Days of lead reach into the coming days.
    with time_machine.travel(NOW, tick=False):
        services.todo_item_create(user=me, assignee=sub, title="三天后", due_at=NOW + dt.timedelta(days=3))
        services.subscription_update(user=me, subscription=sub_, lead_minutes=3 * 24 * 60 + 1)
        assert "三天后" in _titles(me)


def test_subscribed_assigned_events_stay_within_the_subscribers_scope(tworld):
    """R-WORK-4 with the ``assigned`` type: "me" (own and subordinates) sees sub's item, not peer's."""
    me = tworld.user("me")
    city = tworld.user("city_a")
    grant_role(city, "todo_items", DataScope.SUBTREE, actions=("view", "change"))
    clear_cache(city)
    with time_machine.travel(NOW, tick=False):
        for name in ("sub", "peer", "dept"):
            services.todo_item_create(user=city, assignee=tworld.user(name), title=f"给{name}",
                                      due_at=at(2026, 5, 20, 16, 0))
        services.subscription_create(user=me, source="assigned", lead_minutes=24 * 60)
        assert _titles(me) == ["给sub"]
        services.subscription_create(user=city, source="assigned", lead_minutes=24 * 60)
        assert sorted(_titles(city)) == ["给dept", "给peer", "给sub"]


def test_subscribed_events_over_customers_follow_the_customer_scope(tworld, customer_source):
    """R-WORK-4 with a test-local type over customers: unit scope ⇒ only the unit's customers."""
    me = tworld.user("me")
    with time_machine.travel(NOW, tick=False):
        records = customers(tworld)
        Customer.objects.update(created_at=at(2026, 5, 20, 14, 0))
        with pytest.raises(ValidationError) as exc:
            services.subscription_create(user=me, source="test_customer_day", lead_minutes=60 * 8)
        assert "客户纪念日" in " ".join(exc.value.messages)
        grant_role(me, "customers", DataScope.UNIT, actions=("view",))
        clear_cache(me)
        services.subscription_create(user=me, source="test_customer_day", lead_minutes=60 * 8)
        titles = _titles(me)
        assert sorted(titles) == sorted(f"客户纪念日 {records[n].name}" for n in ("me", "peer"))
        # The grant lapses: the subscription stays but shows nothing more.
        me.roles.filter(grants__module="customers").delete()
        clear_cache(me)
        assert _titles(me) == []


def test_page_and_api_refuse_a_type_the_user_may_not_query(tworld):
    """R-WORK-4 on the page and in the API: "dept" holds no ``todo_items`` grant."""
    dept = tworld.user("dept")
    dept.roles.filter(code="items_own").delete()
    clear_cache(dept)
    client = Client()
    client.force_login(dept)
    page = client.post(reverse("todo:subscription_list"), {"source": "assigned", "lead_value": 1,
                                                           "lead_unit": "hours"})
    assert page.status_code == 200
    assert "您没有“领导交办”的查询权限，不能订阅该类事件。" in page.content.decode()
    api = client.post("/api/v1/work/subscriptions/", {"source": "assigned", "lead_minutes": 60},
                      content_type="application/json")
    assert api.status_code == 400 and "source" in api.json()
    assert not Subscription.objects.exists()
    # With the grant it works, on the page and with the lead time converted to minutes.
    me = Client()
    me.force_login(tworld.user("me"))
    ok = me.post(reverse("todo:subscription_list"), {"source": "assigned", "lead_value": 2, "lead_unit": "days"},
                 follow=True)
    assert "已订阅“领导交办”。" in ok.content.decode()
    assert Subscription.objects.get().lead_minutes == 2 * 24 * 60
    dup = me.post("/api/v1/work/subscriptions/", {"source": "assigned", "lead_minutes": 0},
                  content_type="application/json")
    assert dup.status_code == 400
    unknown = me.post("/api/v1/work/subscriptions/", {"source": "process_task", "lead_minutes": 0},
                      content_type="application/json")
    assert unknown.status_code == 400  # process tasks are no event type


def test_unsubscribe_removes_the_events(tworld):
    me, sub = tworld.user("me"), tworld.user("sub")
    with time_machine.travel(NOW, tick=False):
        services.todo_item_create(user=me, assignee=sub, title="下属的交办", due_at=at(2026, 5, 20, 15, 0))
        s = services.subscription_create(user=me, source="assigned", lead_minutes=600)
        assert _titles(me) == ["下属的交办"]
        client = Client()
        client.force_login(me)
        assert client.post(reverse("todo:subscription_delete", args=[s.pk])).status_code == 302
        assert _titles(me) == [] and not Subscription.objects.exists()
