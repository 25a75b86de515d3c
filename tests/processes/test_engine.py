"""The process engine end to end (R-PROC, REQUIREMENTS §9): definitions, versions, dispatch,
approve / reject / withdraw / transfer, multi-approver modes, timers."""

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from kam.core import clock
from kam.org import services as org_services
from kam.processes import services
from kam.processes.loader import DEFINITIONS_DIR, load_shipped_definitions
from kam.processes.models import (
    EventAction,
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    TaskStatus,
    Timer,
    TimerKind,
    VersionStatus,
)
from kam.processes.selectors import tasks_done, tasks_todo

TWO_STEP = (DEFINITIONS_DIR / "two_step_approval.bpmn").read_text(encoding="utf-8")


def _todo(user):
    return list(tasks_todo(user))


def _admin(django_user_model):
    return django_user_model.objects.create_superuser("root", password="x", name="root")


def _with_config(world, node_config, code="cfg_test", name="配置测试"):
    xml = TWO_STEP.replace('id="two_step_approval"', f'id="{code}"').replace(
        'bpmnElement="two_step_approval"', f'bpmnElement="{code}"')
    version = services.definition_save(user=None, xml=xml, node_config=node_config, name=name)
    services.version_activate(user=None, version=version)
    return version


def test_shipped_definitions_load_once_and_are_active(pworld):
    assert set(ProcessDefinition.objects.values_list("code", flat=True)) >= {"two_step_approval",
                                                                             "customer_registration"}
    assert load_shipped_definitions() == []  # idempotent
    reg = ProcessDefinition.objects.get(code="customer_registration")
    assert reg.name == "客户注册审批" and reg.active_version.number == 1
    assert reg.versions.count() == 1


def test_two_step_approval_runs_through_two_users_task_lists(pworld):
    """R-PROC: start → 主管审批 (direct superior) → 领导审批 (department head) → completed."""
    sub, me, boss = pworld.user("sub"), pworld.user("me"), pworld.user("city_a")
    org_services.org_unit_update(unit=pworld.unit("county_2"), head=boss) if hasattr(
        org_services, "org_unit_update") else None
    type(pworld.unit("county_2")).objects.filter(pk=pworld.unit("county_2").pk).update(head=boss)
    inst = services.instance_start(user=sub, definition_code="two_step_approval", business_key="EXP-1",
                                   data={"amount": 500}, title="差旅报销")
    assert inst.status == InstanceStatus.RUNNING and inst.current_nodes == ["supervisor_review"]
    [task] = _todo(me)
    assert (task.node_name, task.instance.title) == ("主管审批", "差旅报销")
    assert task.due_at == task.created_at + dt.timedelta(hours=24)
    assert _todo(boss) == []
    services.task_complete(user=me, task=task, action="approve", opinion="同意")
    assert _todo(me) == [] and [t.pk for t in tasks_done(me)] == [task.pk]
    [task2] = _todo(boss)
    assert task2.node_name == "领导审批"
    services.task_complete(user=boss, task=task2, action="approve")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED and inst.ended_at and inst.current_nodes == []
    actions = list(inst.events.values_list("action", flat=True))
    assert actions == [EventAction.START, EventAction.ASSIGN, EventAction.APPROVE, EventAction.ASSIGN,
                       EventAction.APPROVE, EventAction.COMPLETE]
    assert not Timer.objects.filter(fired_at__isnull=True).exists()


def test_no_approver_auto_pass_and_to_admin(pworld, django_user_model):
    """No superior → 转交管理员; no department head → 自动通过 (two_step_approval's configuration)."""
    root = _admin(django_user_model)
    other = pworld.user("other")  # no superior, no head anywhere
    inst = services.instance_start(user=other, definition_code="two_step_approval", business_key="K")
    [task] = _todo(root)
    services.task_complete(user=root, task=task, action="approve")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    assert inst.events.filter(action=EventAction.AUTO_PASS, node_id="leader_review").exists()


def test_reject_to_submitter_ends_and_signals_the_snapshot(pworld):
    from kam.processes.services import instance_ended

    seen = []

    def receiver(sender, instance, status, **kw):
        seen.append((status, instance.snapshot))

    instance_ended.connect(receiver)
    try:
        inst = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval",
                                       business_key="R1", data={"amount": 5}, snapshot={"name": "旧名称"})
        [task] = _todo(pworld.user("me"))
        with pytest.raises(ValidationError) as err:
            services.task_complete(user=pworld.user("me"), task=task, action="reject", opinion="")
        assert "opinion" in err.value.message_dict
        services.task_complete(user=pworld.user("me"), task=task, action="reject", opinion="资料不全")
    finally:
        instance_ended.disconnect(receiver)
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.REJECTED
    assert seen == [(InstanceStatus.REJECTED, {"name": "旧名称"})]
    assert inst.events.filter(action=EventAction.REJECT, opinion="资料不全").exists()


def test_reject_to_an_earlier_node_sends_it_back(pworld):
    boss = pworld.user("city_a")
    type(pworld.unit("county_2")).objects.filter(pk=pworld.unit("county_2").pk).update(head=boss)
    inst = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="R2")
    services.task_complete(user=pworld.user("me"), task=_todo(pworld.user("me"))[0], action="approve")
    [task2] = _todo(boss)
    with pytest.raises(ValidationError):
        services.task_complete(user=boss, task=task2, action="reject", opinion="x", target_node="nowhere")
    services.task_complete(user=boss, task=task2, action="reject", opinion="请主管复核",
                           target_node="supervisor_review")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING and inst.current_nodes == ["supervisor_review"]
    [again] = _todo(pworld.user("me"))
    assert again.node_id == "supervisor_review" and again.pk != task2.pk
    services.task_complete(user=pworld.user("me"), task=again, action="approve")
    services.task_complete(user=boss, task=_todo(boss)[0], action="approve")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED


def test_a_handled_task_cannot_be_completed_again_nor_by_others(pworld):
    services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="C")
    [task] = _todo(pworld.user("me"))
    with pytest.raises(PermissionDenied):
        services.task_complete(user=pworld.user("peer"), task=task, action="approve")
    stale_version = task.version
    services.task_complete(user=pworld.user("me"), task=task, action="approve")
    with pytest.raises(ValidationError, match="该任务已被处理"):
        services.task_complete(user=pworld.user("me"), task=task, action="approve", expected_version=stale_version)


def test_withdraw_by_the_submitter_only(pworld):
    inst = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="W")
    with pytest.raises(PermissionDenied):
        services.instance_withdraw(user=pworld.user("me"), instance=inst)
    services.instance_withdraw(user=pworld.user("sub"), instance=inst, opinion="填错了")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.WITHDRAWN
    assert _todo(pworld.user("me")) == []
    assert HumanTask.objects.get(instance=inst).status == TaskStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.instance_withdraw(user=pworld.user("sub"), instance=inst)


def test_transfer_moves_the_task(pworld):
    services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="T")
    [task] = _todo(pworld.user("me"))
    services.task_transfer(user=pworld.user("me"), task=task, to_user=pworld.user("peer"), opinion="请代办")
    assert _todo(pworld.user("me")) == [] and [t.pk for t in _todo(pworld.user("peer"))] == [task.pk]
    assert task.events.filter(action=EventAction.TRANSFER).get().target == pworld.user("peer")
    # A transfer from a stale page (the task moved on since) is refused and changes nothing.
    with pytest.raises(ValidationError, match="该任务已被处理"):
        services.task_transfer(user=pworld.user("peer"), task=task, to_user=pworld.user("me"),
                               expected_version=task.version)
    assert [t.pk for t in _todo(pworld.user("peer"))] == [task.pk]


@pytest.mark.parametrize("mode", ["any", "all", "sequential"])
def test_multi_approver_modes(pworld, mode):
    """或签: one approval passes the step; 会签: all must approve; 依次: one after the other."""
    me, peer = pworld.user("me"), pworld.user("peer")
    _with_config(pworld, {"supervisor_review": {"approver": {"kind": "user", "users": ["me", "peer"]}, "mode": mode},
                          "leader_review": {"approver": {"kind": "user", "users": ["city_a"]}}})
    inst = services.instance_start(user=pworld.user("sub"), definition_code="cfg_test", business_key="M")
    if mode == "sequential":
        assert len(_todo(me)) == 1 and _todo(peer) == []
        services.task_complete(user=me, task=_todo(me)[0], action="approve")
        assert len(_todo(peer)) == 1 and _todo(pworld.user("city_a")) == []
        services.task_complete(user=peer, task=_todo(peer)[0], action="approve")
    elif mode == "all":
        services.task_complete(user=me, task=_todo(me)[0], action="approve")
        assert _todo(pworld.user("city_a")) == [] and len(_todo(peer)) == 1
        services.task_complete(user=peer, task=_todo(peer)[0], action="approve")
    else:
        services.task_complete(user=peer, task=_todo(peer)[0], action="approve")
        assert _todo(me) == []  # the other or-sign task is cancelled
    inst.refresh_from_db()
    assert inst.current_nodes == ["leader_review"]
    assert len(_todo(pworld.user("city_a"))) == 1


def test_role_approvers_by_org_relation_on_customer_registration(pworld, role_of):
    """客户注册审批: 区县预审 by the county's reviewers, then 市局初审 and 终审 by the city's."""
    county_rev, city_rev = pworld.user("peer"), pworld.user("city_a")
    county_rev.roles.add(role_of("reviewer_county"))
    city_rev.roles.add(role_of("reviewer_city"))
    pworld.user("other").roles.add(role_of("reviewer_city"))  # another city: never asked
    inst = services.instance_start(user=pworld.user("me"), definition_code="customer_registration",
                                   business_key="REG-1", data={"source": "county"})
    assert inst.current_nodes == ["county_review"]
    services.task_complete(user=county_rev, task=_todo(county_rev)[0], action="approve")
    assert _todo(pworld.user("other")) == []
    [city] = _todo(city_rev)
    assert city.node_name == "市局初审"
    services.task_complete(user=city_rev, task=city, action="approve")
    [final] = _todo(city_rev)
    assert final.node_name == "终审"
    services.task_complete(user=city_rev, task=final, action="approve")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    # A city application skips the pre-review (the default flow of the gateway).
    inst2 = services.instance_start(user=pworld.user("me"), definition_code="customer_registration",
                                    business_key="REG-2", data={"source": "city"})
    assert inst2.current_nodes == ["city_review"]


def test_saving_makes_new_versions_and_running_instances_stay_on_theirs(pworld, django_user_model):
    root = _admin(django_user_model)
    v1 = ProcessDefinition.objects.get(code="two_step_approval").active_version
    inst = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="V")
    xml = TWO_STEP.replace("领导审批", "分管领导审批")
    v2 = services.definition_save(user=root, xml=xml, node_config=v1.node_config)
    assert (v2.number, v2.status, v2.created_by) == (2, VersionStatus.DRAFT, root)
    services.version_activate(user=root, version=v2)
    v1.refresh_from_db()
    assert v1.status == VersionStatus.RETIRED
    inst.refresh_from_db()
    assert inst.version == v1
    new = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="V2")
    assert new.version == v2
    services.version_retire(user=root, version=v2)
    with pytest.raises(ValidationError, match="no active version|没有启用的版本"):
        services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="V3")
    with pytest.raises(PermissionDenied):
        services.definition_save(user=pworld.user("me"), xml=xml)


@pytest.mark.parametrize(("xml", "fragment"), [
    ("", "empty"),
    ("<not-bpmn", "Invalid diagram"),
    (TWO_STEP.replace('targetRef="leader_review"', 'targetRef="missing_node"'), "Invalid diagram"),
    (TWO_STEP.replace('<bpmn:sequenceFlow id="flow_leader" sourceRef="leader_review" targetRef="end" />',
                      '<bpmn:sequenceFlow id="flow_leader" sourceRef="leader_review" targetRef="end">'
                      '<bpmn:conditionExpression>__import__("os").system("x")</bpmn:conditionExpression>'
                      '</bpmn:sequenceFlow>'), "not allowed"),
])
def test_invalid_diagrams_are_refused_with_a_clear_message(db, xml, fragment):
    before = ProcessVersion.objects.count()
    with pytest.raises(ValidationError) as err:
        services.definition_save(user=None, xml=xml)
    text = " ".join(err.value.message_dict["bpmn_xml"])
    assert "流程图无效" in text or "Invalid diagram" in text
    assert fragment.lower() in text.lower() or fragment == "Invalid diagram"
    assert ProcessVersion.objects.count() == before


def test_bad_node_configuration_is_refused(db):
    with pytest.raises(ValidationError) as err:
        services.definition_save(user=None, xml=TWO_STEP, node_config={
            "nowhere": {}, "supervisor_review": {"approver": {"kind": "magic"}, "mode": "x"}})
    assert len(err.value.message_dict["node_config"]) == 3


def test_timers_remind_then_escalate_to_the_superior(pworld):
    """时限: 催办 every remind interval until the deadline, then 告警 escalation to the superior."""
    boss = pworld.user("city_a")
    me = pworld.user("me")
    type(me).objects.filter(pk=me.pk).update(superior=boss)
    start = clock.now()
    with time_machine.travel(start, tick=False):
        inst = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval",
                                       business_key="TM")
    [task] = _todo(me)
    assert set(Timer.objects.values_list("kind", flat=True)) == {TimerKind.REMIND, TimerKind.ESCALATE}
    with time_machine.travel(start + dt.timedelta(hours=8, minutes=1), tick=False):
        assert services.timers_fire_due() == 1
        assert services.timers_fire_due() == 0
    assert inst.events.filter(action=EventAction.REMIND).count() == 1
    task.refresh_from_db()
    assert task.next_remind_at == start + dt.timedelta(hours=16)
    with time_machine.travel(start + dt.timedelta(hours=24, minutes=1), tick=False):
        assert services.timers_fire_due() == 2  # the 16 h reminder and the escalation
    task.refresh_from_db()
    assert task.escalated and task.assignee == boss
    assert inst.events.filter(action=EventAction.ESCALATE, target=boss).exists()
    assert [t.pk for t in _todo(boss)] == [task.pk]


def test_shipped_files_are_valid_bpmn():
    for path in Path(DEFINITIONS_DIR).glob("*.bpmn"):
        from kam.processes import engine

        assert engine.parse(path.read_text(encoding="utf-8")).user_tasks


def test_instance_start_needs_the_module(world):
    with pytest.raises(PermissionDenied):
        services.instance_start(user=world.user("me"), definition_code="two_step_approval", business_key="X")
    assert not ProcessInstance.objects.exists()


def test_delegate_returns_the_task_to_its_owner(pworld):
    """委派: the delegate answers, the task comes back to the owner, who then decides."""
    me, peer = pworld.user("me"), pworld.user("peer")
    inst = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="D")
    [task] = _todo(me)
    services.task_delegate(user=me, task=task, to_user=peer, opinion="请核实金额")
    assert _todo(me) == [] and [t.pk for t in _todo(peer)] == [task.pk]
    with pytest.raises(ValidationError):
        services.task_delegate(user=peer, task=HumanTask.objects.get(pk=task.pk), to_user=pworld.user("dept"))
    services.task_complete(user=peer, task=HumanTask.objects.get(pk=task.pk), action="approve", opinion="金额无误")
    [back] = _todo(me)
    assert back.pk == task.pk and back.delegated_by is None and back.status == TaskStatus.OPEN
    inst.refresh_from_db()
    assert inst.current_nodes == ["supervisor_review"]  # the step is still the owner's to decide
    assert inst.events.filter(action=EventAction.RESOLVE, opinion="金额无误", target=me).exists()
    services.task_complete(user=me, task=back, action="approve")
    inst.refresh_from_db()
    assert inst.current_nodes != ["supervisor_review"]


def test_copy_lets_the_recipient_read_the_instance(pworld):
    """抄送: by hand, and by the node configuration when a step passes."""
    from kam.processes.selectors import copied_to, instances_visible

    _with_config(pworld, {"supervisor_review": {"approver": {"kind": "user", "users": ["me"]},
                                                "cc": [{"kind": "user", "users": ["dept"]}]},
                          "leader_review": {"approver": {"kind": "user", "users": ["city_a"]}}})
    inst = services.instance_start(user=pworld.user("sub"), definition_code="cfg_test", business_key="CC")
    other = pworld.user("other")
    assert not instances_visible(other).filter(pk=inst.pk).exists()
    [task] = _todo(pworld.user("me"))
    assert services.task_copy(user=pworld.user("me"), task=task, to_users=[other], opinion="知悉") == 1
    assert instances_visible(other).filter(pk=inst.pk).exists()
    assert [e.instance_id for e in copied_to(other)] == [inst.pk]
    services.task_complete(user=pworld.user("me"), task=task, action="approve")
    assert [e.instance_id for e in copied_to(pworld.user("dept"))] == [inst.pk]
    with pytest.raises(PermissionDenied):
        services.task_copy(user=pworld.user("peer"), task=task, to_users=[other])


def test_approver_chosen_by_the_submitter_and_urging(pworld):
    _with_config(pworld, {"supervisor_review": {"approver": {"kind": "chosen"}, "no_approver": "auto_pass"},
                          "leader_review": {"approver": {"kind": "starter"}}})
    inst = services.instance_start(user=pworld.user("sub"), definition_code="cfg_test", business_key="CH",
                                   data={"approvers": {"supervisor_review": ["peer"]}})
    [task] = _todo(pworld.user("peer"))
    assert services.instance_urge(user=pworld.user("sub"), instance=inst) == 1
    assert inst.events.filter(action=EventAction.REMIND, target=pworld.user("peer")).exists()
    services.task_complete(user=pworld.user("peer"), task=task, action="approve")
    assert [t.node_id for t in _todo(pworld.user("sub"))] == ["leader_review"]


def test_sequential_rejection_stops_the_later_approvers(pworld):
    _with_config(pworld, {"supervisor_review": {"approver": {"kind": "user", "users": ["me", "peer"]},
                                                "mode": "sequential"}})
    inst = services.instance_start(user=pworld.user("sub"), definition_code="cfg_test", business_key="SR")
    services.task_complete(user=pworld.user("me"), task=_todo(pworld.user("me"))[0], action="reject", opinion="不符")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.REJECTED
    assert set(HumanTask.objects.filter(instance=inst).values_list("status", flat=True)) == {
        TaskStatus.DONE, TaskStatus.CANCELLED}


def test_timer_sweep_is_a_periodic_job_every_minute(db):
    from django.utils.module_loading import import_string

    from kam.jobs.models import ScheduledJob

    sj = ScheduledJob.objects.get(code="processes.timers")
    assert sj.schedule == "60" and sj.name == "流程催办与超时升级"
    assert import_string(sj.func_path)() == "fired 0"


def test_add_approver_before_and_after_in_a_sequential_step(pworld):
    """加签: before me (I wait for them) or after me (they approve right after me)."""
    me, peer, dept = pworld.user("me"), pworld.user("peer"), pworld.user("dept")
    _with_config(pworld, {"supervisor_review": {"approver": {"kind": "user", "users": ["me"]}, "mode": "sequential"},
                          "leader_review": {"approver": {"kind": "user", "users": ["city_a"]}}})
    inst = services.instance_start(user=pworld.user("sub"), definition_code="cfg_test", business_key="AS")
    [task] = _todo(me)
    services.task_add_signer(user=me, task=task, to_user=peer, position="before")
    assert _todo(me) == [] and len(_todo(peer)) == 1
    services.task_complete(user=peer, task=_todo(peer)[0], action="approve")
    [mine] = _todo(me)
    services.task_add_signer(user=me, task=mine, to_user=dept, position="after")
    services.task_complete(user=me, task=mine, action="approve")
    inst.refresh_from_db()
    assert inst.current_nodes == ["supervisor_review"] and len(_todo(dept)) == 1
    services.task_complete(user=dept, task=_todo(dept)[0], action="approve")
    inst.refresh_from_db()
    assert inst.current_nodes == ["leader_review"]
    assert inst.events.filter(action=EventAction.ADD_SIGNER).count() == 2


def test_add_and_remove_approvers_in_a_countersign_step(pworld):
    """会签 with 加签 then 减签: the removed approver's task is cancelled and no longer awaited."""
    me, peer, dept = pworld.user("me"), pworld.user("peer"), pworld.user("dept")
    _with_config(pworld, {"supervisor_review": {"approver": {"kind": "user", "users": ["me", "peer"]}, "mode": "all"},
                          "leader_review": {"approver": {"kind": "user", "users": ["city_a"]}}})
    inst = services.instance_start(user=pworld.user("sub"), definition_code="cfg_test", business_key="RS")
    [task] = _todo(me)
    added = services.task_add_signer(user=me, task=task, to_user=dept)
    assert added.status == TaskStatus.OPEN and len(_todo(dept)) == 1
    with pytest.raises(ValidationError):
        services.task_remove_signer(user=me, task=task, removed=task)
    services.task_remove_signer(user=me, task=task, removed=_todo(peer)[0], opinion="无需会签")
    assert _todo(peer) == []
    services.task_complete(user=dept, task=_todo(dept)[0], action="approve")
    services.task_complete(user=me, task=task, action="approve")
    inst.refresh_from_db()
    assert inst.current_nodes == ["leader_review"]


def test_a_condition_on_missing_data_is_a_clear_message_and_nothing_is_saved(pworld, role_of):
    """客户注册审批 routes on ``source``; an application without it is refused, not half-started."""
    before = ProcessInstance.objects.count()
    with pytest.raises(ValidationError) as err:
        services.instance_start(user=pworld.user("me"), definition_code="customer_registration",
                                business_key="REG-X", data={})
    text = " ".join(err.value.messages)
    assert ("流程无法继续" in text or "cannot go on" in text) and "source" in text
    assert ProcessInstance.objects.count() == before
