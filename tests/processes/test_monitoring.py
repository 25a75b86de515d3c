"""流程监控 (REQUIREMENTS §9, R-PROC): instance filters (process, state, overdue, org, started
between), per-step statistics (page, API, chart), 疏导 with the reason recorded, retry of a failed
service call; permission matrix over the statistics (R-PERM-1)."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from kam.core import clock
from kam.processes import services
from kam.processes.models import (
    EventAction,
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
)
from kam.processes.selectors import node_statistics, tasks_todo
from tests.helpers.matrix import WORLD_USERS, Probe, run_matrix


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _admin():
    admin = get_user_model().objects.create_superuser("root", password="x", name="root")
    get_user_model().objects.filter(pk=admin.pk).update(must_change_password=False)
    admin.refresh_from_db()
    return admin


def _start(world, key, starter="sub", **kw):
    return services.instance_start(user=world.user(starter), definition_code="two_step_approval", business_key=key,
                                   **kw)


def _listed(client, **params):
    response = client.get("/processes/instances/", params)
    assert response.status_code == 200
    return sorted(i.business_key for i in response.context["page"].rows)


def test_instance_list_filters_process_state_overdue_org_and_period(pworld):
    admin = _admin()
    with time_machine.travel(dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)):
        _start(pworld, "OLD")  # due after 24 h → overdue later
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)):
        _start(pworld, "NEW-B", starter="other")
        done = _start(pworld, "DONE")
        services.instance_withdraw(user=pworld.user("sub"), instance=done)
        client = _client(admin)
        assert _listed(client) == ["DONE", "NEW-B", "OLD"]
        assert _listed(client, overdue="true") == ["OLD"]
        assert _listed(client, overdue="false") == ["DONE", "NEW-B"]
        assert _listed(client, status="withdrawn") == ["DONE"]
        assert _listed(client, org=pworld.unit("city_b").pk) == ["NEW-B"]
        assert _listed(client, started_from="2026-03-05", started_to="2026-03-31") == ["DONE", "NEW-B"]
        definition = ProcessDefinition.objects.get(code="two_step_approval")
        assert _listed(client, process=definition.pk) == ["DONE", "NEW-B", "OLD"]
        page = client.get("/processes/instances/").content.decode()
        for label in ("超期", "发起日期从"):
            assert label in page


def test_node_statistics_count_average_and_overdue(pworld):
    """Per step: tasks received in the period, average handling hours of the finished, overdue."""
    me = pworld.user("me")
    with time_machine.travel(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC), tick=False):
        for i in range(3):
            _start(pworld, f"S-{i}")
    tasks = list(tasks_todo(me).order_by("id"))
    with time_machine.travel(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        services.task_complete(user=me, task=tasks[0], action="approve")  # 2 h
    with time_machine.travel(dt.datetime(2026, 3, 3, 5, 0, tzinfo=dt.UTC), tick=False):
        services.task_complete(user=me, task=tasks[1], action="approve")  # 28 h: past the 24 h limit
        admin = _admin()
        rows = {r["node_id"]: r for r in node_statistics(admin, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))}
        review = rows["supervisor_review"]
        assert (review["tasks"], review["done"], review["open"]) == (3, 2, 1)
        assert review["avg_hours"] == 15.0 and review["overdue"] == 2  # the late one and the still-open one
        assert "leader_review" not in rows  # no department head: passed automatically, no task
        assert node_statistics(admin, start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30)) == []
        client = _client(admin)
        page = client.get("/processes/monitor/", {"start": "2026-03-01", "end": "2026-03-31"})
        html = page.content.decode()
        assert page.status_code == 200 and "主管审批" in html and "15.0" in html
        assert "kam-node-stats-data" in html and "echarts.min.js" in html
        api = client.get("/api/v1/processes/stats/", {"start": "2026-03-01", "end": "2026-03-31",
                                                       "definition": "two_step_approval"}).json()
        assert {r["node_id"]: (r["tasks"], r["overdue"], r["avg_hours"]) for r in api}["supervisor_review"] == (
            3, 2, 15.0)
        bad = client.get("/processes/monitor/", {"start": "2026-03-31", "end": "2026-03-01"}).content.decode()
        assert "结束日期早于开始日期" in bad


def test_node_statistics_follow_the_data_scope(world):
    """R-PERM-1: the statistics count only tasks of instances in the user's scope (analyse)."""
    from kam.processes.loader import load_shipped_definitions

    if not ProcessDefinition.objects.filter(code="two_step_approval").exists():
        load_shipped_definitions()
    version = ProcessDefinition.objects.get(code="two_step_approval").active_version
    records = {}
    for label in WORLD_USERS:
        user = world.user(label)
        inst = ProcessInstance.objects.create(version=version, business_key=f"K-{label}", starter=user,
                                              starter_unit=user.org_unit, started_at=clock.now())
        records[label] = HumanTask.objects.create(instance=inst, node_id=f"n_{label}", node_name=label,
                                                  created_at=clock.now())

    def labels(node_ids):
        return {label for label, task in records.items() if task.node_id in node_ids}

    def api(client, recs):
        response = client.get("/api/v1/processes/stats/")
        if response.status_code == 403:
            return set()
        return labels({r["node_id"] for r in response.json()})

    def page(client, recs):
        response = client.get("/processes/monitor/")
        if response.status_code == 403:
            return set()
        return labels({r["node_id"] for r in response.context["rows"]})

    run_matrix(world, "processes", records, [Probe("api stats", api), Probe("page stats", page)])


def test_reroute_moves_back_and_reassigns_with_the_reason_recorded(pworld):
    """疏导: an administrator moves a stuck instance to an earlier step and gives the task to another user."""
    admin = _admin()
    me, peer = pworld.user("me"), pworld.user("peer")
    pworld.unit("county_2").__class__.objects.filter(pk=pworld.unit("county_2").pk).update(head=pworld.user("city_a"))
    inst = _start(pworld, "STUCK")
    services.task_complete(user=me, task=tasks_todo(me)[0], action="approve")
    inst.refresh_from_db()
    assert inst.current_nodes == ["leader_review"]
    with pytest.raises(ValidationError, match="疏导原因|reason"):
        services.instance_reroute(user=admin, instance=inst, reason=" ", target_node="supervisor_review")
    with pytest.raises(PermissionDenied):
        services.instance_reroute(user=me, instance=inst, reason="x", to_user=peer)
    client = _client(admin)
    detail = client.get(f"/processes/instances/{inst.pk}/").content.decode()
    assert "kam-reroute" in detail and 'value="supervisor_review"' in detail
    response = client.post(f"/processes/instances/{inst.pk}/reroute/", {
        "target_node": "supervisor_review", "to_user": "peer", "reason": "主管出差,改由同事审批"}, follow=True)
    assert "已疏导" in response.content.decode() or "流程实例已疏导" in response.content.decode()
    inst.refresh_from_db()
    assert inst.current_nodes == ["supervisor_review"]
    [task] = tasks_todo(peer)
    assert task.node_id == "supervisor_review" and list(tasks_todo(me)) == []
    assert list(tasks_todo(pworld.user("city_a"))) == []  # the leader's task was cancelled
    event = inst.events.get(action=EventAction.REROUTE)
    assert (event.actor, event.target, event.opinion) == (admin, peer, "主管出差,改由同事审批")
    # the API: re-assign only
    api = client.post(f"/api/v1/processes/instances/{inst.pk}/reroute/", {"to_user": "dept", "reason": "再次改派"},
                      content_type="application/json")
    assert api.status_code == 200, api.content
    assert HumanTask.objects.get(instance=inst, status__in=(TaskStatus.OPEN, TaskStatus.CLAIMED)).assignee == \
        pworld.user("dept")
    # an ordinary participant has no re-route form and the API refuses
    assert "kam-reroute" not in _client(me).get(f"/processes/instances/{inst.pk}/").content.decode()
    assert _client(me).post(f"/processes/instances/{inst.pk}/reroute/", {"reason": "x", "to_user": "me"}
                            ).status_code == 403
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING
