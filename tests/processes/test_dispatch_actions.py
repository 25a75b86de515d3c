"""退回 vs 驳回, allowed actions per step, pools (待领取 / 已领取) and dispatch rules (工作派发:
round-robin, least-loaded) — REQUIREMENTS §9 (R-PROC)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from kam.processes import services
from kam.processes.loader import DEFINITIONS_DIR
from kam.processes.models import (
    DispatchCursor,
    EventAction,
    HumanTask,
    InstanceStatus,
    TaskOutcome,
    TaskStatus,
)
from kam.processes.selectors import tasks_claimable, tasks_claimed, tasks_todo

TWO_STEP = (DEFINITIONS_DIR / "two_step_approval.bpmn").read_text(encoding="utf-8")


def _definition(node_config, code="disp_test"):
    xml = TWO_STEP.replace('id="two_step_approval"', f'id="{code}"').replace(
        'bpmnElement="two_step_approval"', f'bpmnElement="{code}"')
    version = services.definition_save(user=None, xml=xml, node_config=node_config, name="派发测试")
    services.version_activate(user=None, version=version)
    return version


def _start(world, key, code="disp_test", starter="sub"):
    return services.instance_start(user=world.user(starter), definition_code=code, business_key=key)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


USERS = {"kind": "user", "users": ["me", "peer"]}


# --- 退回 vs 驳回 ------------------------------------------------------------------------------------


def test_send_back_returns_one_step_and_reject_ends_the_instance(pworld):
    """R-PROC 退回: one step back for rework, the instance keeps running; 驳回: ends it, rejected."""
    _definition({"supervisor_review": {"approver": {"kind": "user", "users": ["me"]}},
                 "leader_review": {"approver": {"kind": "user", "users": ["peer"]}}})
    me, peer = pworld.user("me"), pworld.user("peer")
    inst = _start(pworld, "SB-1")
    [first] = tasks_todo(me)
    services.task_complete(user=me, task=first, action="approve")
    [second] = tasks_todo(peer)
    with pytest.raises(ValidationError, match="退回原因|reason"):
        services.task_send_back(user=peer, task=second, opinion=" ")
    services.task_send_back(user=peer, task=second, opinion="材料不全，请补充")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING and inst.current_nodes == ["supervisor_review"]
    second.refresh_from_db()
    assert second.outcome == TaskOutcome.SEND_BACK and second.status == TaskStatus.DONE
    [again] = tasks_todo(me)
    assert again.pk != first.pk and again.node_id == "supervisor_review"
    assert inst.events.filter(action=EventAction.SEND_BACK, actor=peer, opinion="材料不全，请补充").exists()
    # the first step has no earlier step: 退回 is refused with a clear message
    with pytest.raises(ValidationError, match="第一个环节|first step"):
        services.task_send_back(user=me, task=again, opinion="x")
    # 驳回 to the submitter ends the instance, recorded as a rejection (not a send-back)
    services.task_complete(user=me, task=again, action="reject", opinion="不符合条件")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.REJECTED
    assert list(inst.events.filter(action__in=[EventAction.REJECT, EventAction.SEND_BACK])
                .values_list("action", flat=True)) == [EventAction.SEND_BACK, EventAction.REJECT]


def test_reject_to_an_earlier_node_differs_from_send_back_in_history(pworld):
    _definition({"supervisor_review": {"approver": {"kind": "user", "users": ["me"]}},
                 "leader_review": {"approver": {"kind": "user", "users": ["peer"]}}})
    me, peer = pworld.user("me"), pworld.user("peer")
    inst = _start(pworld, "SB-2")
    services.task_complete(user=me, task=tasks_todo(me)[0], action="approve")
    services.task_complete(user=peer, task=tasks_todo(peer)[0], action="reject", opinion="重审",
                           target_node="supervisor_review")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING and inst.current_nodes == ["supervisor_review"]
    assert inst.events.filter(action=EventAction.REJECT).count() == 1
    assert not inst.events.filter(action=EventAction.SEND_BACK).exists()


def test_step_allowed_actions_switch_buttons_and_services(pworld):
    """R-PROC: a step's ``actions`` list decides which actions it offers; others are refused."""
    _definition({"supervisor_review": {"approver": {"kind": "user", "users": ["me"]}},
                 "leader_review": {"approver": {"kind": "user", "users": ["peer"]},
                                   "actions": ["approve", "send_back"]}})
    me, peer = pworld.user("me"), pworld.user("peer")
    _start(pworld, "ACT-1")
    services.task_complete(user=me, task=tasks_todo(me)[0], action="approve")
    [task] = tasks_todo(peer)
    page = _client(peer).get(f"/processes/tasks/{task.pk}/").content.decode()
    assert 'value="send_back"' in page and 'value="approve"' in page
    for absent in ('value="reject"', 'value="transfer"', 'value="delegate"', 'value="cc"', 'value="add_before"'):
        assert absent not in page
    with pytest.raises(ValidationError, match="不允许|does not allow"):
        services.task_complete(user=peer, task=task, action="reject", opinion="x")
    with pytest.raises(ValidationError, match="不允许|does not allow"):
        services.task_transfer(user=peer, task=task, to_user=me)
    # the send-back button posts and says so
    response = _client(peer).post(f"/processes/tasks/{task.pk}/",
                                  {"action": "send_back", "opinion": "补充材料", "version": task.version}, follow=True)
    assert "已退回上一环节" in response.content.decode()
    assert tasks_todo(me)[0].node_id == "supervisor_review"


def test_node_config_refuses_unknown_actions_and_dispatch_rules(pworld):
    with pytest.raises(ValidationError) as exc:
        _definition({"supervisor_review": {"approver": USERS, "actions": ["approve", "fly"], "dispatch": "lottery"}})
    text = " ".join(exc.value.messages)
    assert "派发规则" in text or "dispatch rule" in text
    assert "允许的操作" in text or "allowed actions" in text


def test_send_back_through_the_api(pworld):
    _definition({"supervisor_review": {"approver": {"kind": "user", "users": ["me"]}},
                 "leader_review": {"approver": {"kind": "user", "users": ["peer"]}}})
    me, peer = pworld.user("me"), pworld.user("peer")
    _start(pworld, "API-SB")
    services.task_complete(user=me, task=tasks_todo(me)[0], action="approve")
    [task] = tasks_todo(peer)
    response = _client(peer).post(f"/api/v1/processes/tasks/{task.pk}/complete/",
                                  {"action": "send_back", "opinion": "补充"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "send_back"
    assert tasks_todo(me)[0].node_id == "supervisor_review"


# --- pools: 待领取 / 已领取 -------------------------------------------------------------------------


def test_pool_task_is_claimed_by_one_candidate_and_can_be_released(pworld):
    """R-PROC 工作派发: a pool step waits under 待领取 for every candidate; one claims it."""
    _definition({"supervisor_review": {"approver": USERS, "dispatch": "pool"},
                 "leader_review": {"approver": {"kind": "user", "users": ["dept"]}}})
    me, peer, other = pworld.user("me"), pworld.user("peer"), pworld.user("other")
    _start(pworld, "POOL-1")
    [task] = tasks_claimable(me)
    assert list(tasks_claimable(peer)) == [task] and list(tasks_claimable(other)) == []
    assert task.assignee_id is None and list(tasks_todo(me)) == []
    # the pool shows on the task page tab 待领取, with a claim button on the task
    listing = _client(peer).get("/processes/tasks/?tab=claimable").content.decode()
    assert "主管审批" in listing
    assert 'value="claim"' in _client(peer).get(f"/processes/tasks/{task.pk}/").content.decode()
    with pytest.raises(PermissionDenied):
        services.task_claim(user=other, task=task)
    services.task_claim(user=me, task=task)
    task.refresh_from_db()
    assert (task.assignee, task.status) == (me, TaskStatus.CLAIMED)
    assert list(tasks_claimable(peer)) == [] and list(tasks_claimed(me)) == [task]
    assert "主管审批" in _client(me).get("/processes/tasks/?tab=claimed").content.decode()
    with pytest.raises(ValidationError, match="me"):  # too late: says who has it
        services.task_claim(user=peer, task=task)
    # release: back to the pool, then peer claims and approves through the page
    services.task_release(user=me, task=task)
    assert list(tasks_claimable(peer)) == [task]
    response = _client(peer).post(f"/processes/tasks/{task.pk}/", {"action": "claim"}, follow=True)
    assert "您已领取该任务" in response.content.decode()
    task.refresh_from_db()
    services.task_complete(user=peer, task=task, action="approve")
    assert tasks_todo(pworld.user("dept"))[0].node_id == "leader_review"
    actions = list(task.instance.events.filter(task=task).values_list("action", "actor__username"))
    assert actions == [(EventAction.ASSIGN, None), (EventAction.CLAIM, "me"), (EventAction.RELEASE, "me"),
                       (EventAction.CLAIM, "peer"), (EventAction.APPROVE, "peer")]


def test_pool_of_a_role_within_the_applicants_city(pworld, role_of):
    """The pool is a role within an org relation: the applicant's city only."""
    role = role_of("work_order_pool")
    for name in ("me", "peer", "other"):
        pworld.user(name).roles.add(role)
    _definition({"supervisor_review": {"approver": {"kind": "role", "role": "work_order_pool", "org": "city"},
                                       "dispatch": "pool"}})
    _start(pworld, "POOL-2")
    assert len(tasks_claimable(pworld.user("me"))) == 1 and len(tasks_claimable(pworld.user("peer"))) == 1
    assert list(tasks_claimable(pworld.user("other"))) == []


def test_claim_and_release_through_the_api(pworld):
    _definition({"supervisor_review": {"approver": USERS, "dispatch": "pool"}})
    _start(pworld, "POOL-API")
    me, peer = _client(pworld.user("me")), _client(pworld.user("peer"))
    [row] = me.get("/api/v1/processes/tasks/?mine=claimable").json()["results"]
    assert me.post(f"/api/v1/processes/tasks/{row['id']}/claim/").status_code == 200
    response = peer.post(f"/api/v1/processes/tasks/{row['id']}/claim/")
    assert response.status_code == 400 and "me" in response.content.decode()
    assert [r["id"] for r in me.get("/api/v1/processes/tasks/?mine=claimed").json()["results"]] == [row["id"]]
    assert me.post(f"/api/v1/processes/tasks/{row['id']}/release/").status_code == 200
    assert peer.get("/api/v1/processes/tasks/?mine=claimable").json()["results"][0]["id"] == row["id"]


# --- dispatch rules --------------------------------------------------------------------------------


def test_round_robin_dispatch_keeps_a_persistent_cursor(pworld):
    version = _definition({"supervisor_review": {"approver": {"kind": "user", "users": ["me", "peer", "dept"]},
                                                 "dispatch": "round_robin"}})
    for i in range(4):
        _start(pworld, f"RR-{i}")
    order = list(HumanTask.objects.filter(node_id="supervisor_review").order_by("id")
                 .values_list("assignee__username", flat=True))
    assert order == ["me", "peer", "dept", "me"]
    assert DispatchCursor.objects.get(version=version, node_id="supervisor_review").position == 1


def test_least_loaded_dispatch_picks_the_fewest_open_tasks(pworld):
    _definition({"supervisor_review": {"approver": {"kind": "user", "users": ["me", "peer"]}, "mode": "all"}},
                code="busy")
    _start(pworld, "BUSY-1", code="busy")  # 会签: a task each
    _start(pworld, "BUSY-2", code="busy")
    assert len(tasks_todo(pworld.user("me"))) == 2 and len(tasks_todo(pworld.user("peer"))) == 2
    _definition({"supervisor_review": {"approver": {"kind": "user", "users": ["me", "peer"]},
                                       "dispatch": "least_loaded"}})
    services.task_complete(user=pworld.user("peer"), task=tasks_todo(pworld.user("peer"))[0], action="approve")
    _start(pworld, "LL-1")  # me 2 open, peer 1 → peer
    _start(pworld, "LL-2")  # me 2, peer 2 → me (first of equals)
    picked = list(HumanTask.objects.filter(instance__business_key__startswith="LL-").order_by("id")
                  .values_list("assignee__username", flat=True))
    assert picked == ["peer", "me"]


# --- 催办 and versions (leftovers) ------------------------------------------------------------------


def test_urge_button_and_api_for_the_submitter(pworld):
    inst = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval",
                                   business_key="URGE")
    sub = _client(pworld.user("sub"))
    page = sub.get(f"/processes/instances/{inst.pk}/").content.decode()
    assert f"/processes/instances/{inst.pk}/urge/" in page
    response = sub.post(f"/processes/instances/{inst.pk}/urge/", follow=True)
    assert "已催办 1 个待办任务" in response.content.decode()
    assert sub.post(f"/api/v1/processes/instances/{inst.pk}/urge/").json() == {"urged": 1}
    assert inst.events.filter(action=EventAction.REMIND, actor=pworld.user("sub")).count() == 2
    # someone merely taking part may not urge
    response = _client(pworld.user("me")).post(f"/api/v1/processes/instances/{inst.pk}/urge/")
    assert response.status_code == 403


def test_version_activation_checks_the_users_grant(pworld):
    version = _definition({"supervisor_review": {"approver": USERS}}, code="grant_test")
    with pytest.raises(PermissionDenied):
        services.version_retire(user=pworld.user("me"), version=version)
    with pytest.raises(PermissionDenied):
        services.version_activate(user=pworld.user("me"), version=version)


def test_definition_list_does_not_query_per_row(pworld):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = get_user_model().objects.create_superuser("root", password="x", name="root")
    get_user_model().objects.filter(pk=admin.pk).update(must_change_password=False)
    client = _client(admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            page = client.get("/processes/definitions/").content.decode()
        assert "v1" in page
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        _definition({"supervisor_review": {"approver": USERS}}, code=f"many_{i}")
    assert count() == before
