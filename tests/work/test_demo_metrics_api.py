"""Demo data of 工作管理 (a campaign with items for the demo managers), the built-in assessment
metrics per manager and month (set-based), the todo sources and the API (same rules as the pages)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
import time_machine

from kam.core import clock
from kam.core.demo import DemoContext
from kam.core.registry import BUILTIN_METRICS, TODO_SOURCES
from kam.customers.demo import customers_demo
from kam.managers.demo import managers_demo
from kam.org.demo import org_demo
from kam.work import services
from kam.work.models import Execution, State, Task, WorkItem

from .conftest import at, login

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)
API = "/api/v1/work"


def test_demo_campaign_with_items_for_the_demo_managers():
    ctx = DemoContext(size="demo", rng=random.Random(7), password="Demo@pass-2026")
    org_demo(ctx)
    managers_demo(ctx)
    customers_demo(ctx)
    from kam.work.demo import work_demo

    work_demo(ctx)
    task = Task.objects.order_by("pk").first()
    assert task is not None and task.status == "generated" and task.generated_count > 0
    assert WorkItem.objects.filter(task=task).values("manager").distinct().count() >= 1
    assert task.deferred_count == 1  # the demo customer in a do-not-disturb window
    assert Execution.objects.filter(result="success").exists()
    assert WorkItem.objects.filter(source="manual", channel="visit").exists()
    n = WorkItem.objects.count()
    work_demo(ctx)  # a second run adds nothing
    assert WorkItem.objects.count() == n


def test_builtin_metrics_per_manager_and_month(ww):
    assert {"work_calls", "work_call_success_rate", "work_visits", "work_done_on_time"} <= set(BUILTIN_METRICS)
    with time_machine.travel(at(DAY, 10), tick=False):
        def item(who, channel="call", due_days=5):
            return services.work_item_create(user=ww[who], customer=ww.customers[who], title="t", channel=channel,
                                             due_at=at(clock.today() + dt.timedelta(days=due_days), 17))

        for who in ("me", "peer"):
            services.checkin_start(user=ww[who])
        services.work_item_execute(user=ww["me"], item=item("me"), branch="success", sub_result="agree")
        late = item("me", due_days=0)
        services.work_item_execute(user=ww["me"], item=late, branch="retry", sub_result="busy")
        services.work_item_execute(user=ww["me"], item=item("me", "visit"), branch="success", sub_result="agree")
        services.work_item_execute(user=ww["peer"], item=item("peer"), branch="close", sub_result="refused")
    with time_machine.travel(at(DAY + dt.timedelta(days=2), 10), tick=False):  # done after its due time
        services.checkin_start(user=ww["me"])
        services.work_item_execute(user=ww["me"], item=late, branch="success", sub_result="consider")
    with time_machine.travel(at(dt.date(2026, 4, 2), 10), tick=False):  # next month: not counted in March
        services.checkin_start(user=ww["peer"])
        services.work_item_execute(user=ww["peer"], item=item("peer"), branch="success", sub_result="agree")
    me, peer = ww["me"].pk, ww["peer"].pk
    m = {code: BUILTIN_METRICS[code].compute("2026-03") for code in BUILTIN_METRICS if code.startswith("work_")}
    assert m["work_calls"] == {me: Decimal(3), peer: Decimal(1)}
    assert m["work_call_success_rate"] == {me: Decimal("66.67"), peer: Decimal("0.00")}
    assert m["work_visits"] == {me: Decimal(1)}
    assert m["work_done_on_time"] == {me: Decimal(2), peer: Decimal(1)}
    assert BUILTIN_METRICS["work_calls"].compute("2026-04") == {peer: Decimal(1)}


def test_visit_events_stay_within_the_subscribers_scope(ww):
    """R-WORK-4: the 拜访 event type shows only visits in the subscriber's data scope."""
    with time_machine.travel(at(DAY, 10), tick=False):
        for who in ("me", "sub", "other"):
            services.work_item_create(user=ww[who], customer=ww.customers[who], title="走访", channel="visit",
                                      due_at=at(DAY + dt.timedelta(days=1), 10))
        events = TODO_SOURCES["visit"].events
        rows = events(ww["me"], at(DAY, 0), at(DAY + dt.timedelta(days=3)))
        seen = {e.title.split("（")[-1].rstrip("）") for e in rows}
        assert seen == {"me"}  # an account manager: own records only
        assert {e.source for e in TODO_SOURCES["campaign"].entries(ww["lead"], at(DAY, 0))} <= {"campaign"}


@time_machine.travel(at(DAY, 10), tick=False)
def test_api_check_in_call_execute_cancel_and_dnd(ww):
    c = login(ww["me"])
    resp = c.post(f"{API}/items/", {"customer": ww.customers["me"].pk, "title": "接口外呼", "channel": "call",
                                    "due_at": "2026-03-12T17:00:00+08:00"}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    resp = c.post(f"{API}/items/{pk}/dial/")
    assert resp.status_code == 400 and "session" in resp.json()  # R-WORK-1
    assert c.post(f"{API}/checkin/").status_code == 201
    assert c.post(f"{API}/items/{pk}/dial/").json()["phone"] == ww.customers["me"].phone
    resp = c.post(f"{API}/items/{pk}/execute/", {"branch": "retry", "sub_result": "no_answer"},
                  content_type="application/json")
    assert resp.status_code == 201 and resp.json()["result"] == "failure"
    assert c.get(f"{API}/items/{pk}/").json()["state"] == State.OPEN
    resp = c.post(f"{API}/dnd/", {"customer": ww.customers["me"].pk, "starts_at": "2026-03-10T09:00:00+08:00",
                                  "ends_at": "2026-03-11T09:00:00+08:00"}, content_type="application/json")
    assert resp.status_code == 201
    resp = c.post(f"{API}/items/{pk}/execute/", {"branch": "success", "sub_result": "agree"},
                  content_type="application/json")
    assert resp.status_code == 400 and "customer" in resp.json()  # R-WORK-3
    resp = c.post(f"{API}/items/cancel/", {"ids": [pk], "reason": ""}, content_type="application/json")
    assert resp.status_code == 400
    resp = c.post(f"{API}/items/cancel/", {"ids": [pk], "reason": "重复"}, content_type="application/json")
    assert resp.json() == {"cancelled": 1}
    assert c.post(f"{API}/checkin/checkout/").status_code == 200
    schema = c.get("/api/v1/schema/").content.decode()
    assert "/api/v1/work/items/{id}/execute/" in schema and "/api/v1/work/tasks/" in schema


@time_machine.travel(at(DAY, 8), tick=False)
def test_api_task_generates_and_lists_skips(ww):
    c = login(ww["lead"])
    resp = c.post(f"{API}/tasks/", {"name": "接口任务", "channel": "call", "start_on": "2026-03-10",
                                    "due_on": "2026-03-15", "dnd_policy": "skip", "customers":
                                    [ww.customers["me"].pk, ww.customers["peer"].pk]}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "generated" and body["generated_count"] == 2 and body["imported"]
    assert c.get(f"{API}/tasks/{body['id']}/skips/").json() == []
    assert c.post(f"{API}/tasks/{body['id']}/generate/").status_code == 400
