"""投诉处理流程 (complaint_handling), shipped (R-PROC, REQUIREMENTS §9 and §6 客户投诉建议), end to end
through the users' task lists: 受理 → (重大: 领导督办) → 分派处理 → 处理 (pool) → 回访 (不满意 → 处理)
→ 归档."""

import datetime as dt

import time_machine

from kam.processes import services
from kam.processes.models import InstanceStatus, TaskStatus

from .shipped_helpers import act, claim_and_do, claimable_names, history, make_cast, start, task_of, todo_names

CODE = "complaint_handling"


def test_major_complaint_runs_to_archive_with_an_unsatisfied_revisit(pworld):
    """R-PROC: every step by the configured people, with time limits; 回访 records 客户是否满意 and
    不满意 sends it back to 处理 (the gateway reads the step data)."""
    c = make_cast(pworld)
    inst = start(c.am, CODE, "TS-2026-001", {"severity": "重大", "customer": "某市政务中心"}, "客户投诉：专线中断")
    # 受理: the county's 大客户中心 and the city's (或签), 4 hours
    accept = task_of(c.centre, "受理")
    assert accept.instance.title == "客户投诉：专线中断"
    assert accept.due_at == accept.created_at + dt.timedelta(hours=4)
    assert todo_names(c.city_centre) == ["受理"]
    act(c.centre, "受理", opinion="已受理")
    assert todo_names(c.city_centre) == []  # 或签: the other copy is withdrawn
    # 重大 → 领导督办 by the city's leader
    act(c.city_leader, "领导督办", opinion="限期解决")
    # 分派处理 by the county's 客户经理主管
    assert task_of(c.sup, "分派处理").due_at is not None
    act(c.sup, "分派处理")
    # 处理: a pool of the county's account managers; one claims it
    assert claimable_names(c.am) == ["处理"] and claimable_names(c.am2) == ["处理"]
    claim_and_do(c.am2, "处理", opinion="已更换光模块")
    assert claimable_names(c.am) == []
    # 回访: the customer is not satisfied → back to 处理
    act(c.centre, "回访", opinion="客户不满意，仍有丢包", data={"satisfied": "no"})
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING and inst.current_nodes == ["handle"]
    claim_and_do(c.am, "处理", opinion="已更换线路")
    act(c.city_centre, "回访", opinion="客户满意", data={"satisfied": "yes"})
    act(c.centre, "归档")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    assert history(inst, "start", "approve", "reject", "claim", "complete") == [
        ("start", "", "am"),
        ("approve", "受理", "centre"),
        ("approve", "领导督办", "city_leader"),
        ("approve", "分派处理", "sup"),
        ("claim", "处理", "am2"),
        ("approve", "处理", "am2"),
        ("approve", "回访", "centre"),
        ("claim", "处理", "am"),
        ("approve", "处理", "am"),
        ("approve", "回访", "city_centre"),
        ("approve", "归档", "centre"),
        ("complete", "", ""),
    ]
    assert not inst.tasks.filter(status__in=(TaskStatus.OPEN, TaskStatus.CLAIMED, TaskStatus.PENDING)).exists()


def test_ordinary_complaint_skips_the_leader_and_can_be_refused(pworld):
    """R-PROC: 一般 投诉 goes straight to 分派处理; 受理 may refuse (驳回 to the submitter ends it)."""
    c = make_cast(pworld)
    inst = start(c.am, CODE, "TS-2026-002", {"severity": "一般"})
    act(c.city_centre, "受理")
    assert todo_names(c.city_leader) == []
    assert todo_names(c.sup) == ["分派处理"]
    other = start(c.am, CODE, "TS-2026-003", {"severity": "一般"})
    act(c.centre, "受理", action="reject", opinion="非本单位业务", instance=other)
    other.refresh_from_db()
    inst.refresh_from_db()
    assert other.status == InstanceStatus.REJECTED and inst.status == InstanceStatus.RUNNING
    assert history(other, "reject") == [("reject", "受理", "centre")]


def test_dispatch_step_is_urged_then_escalated_to_the_supervisors_superior(pworld):
    """R-PROC 时限/催办/升级: 分派处理 (4 hours, reminder every 2 hours) left alone is urged, then at its
    deadline re-assigned to the 主管's superior, who finds it in 我的待办 and goes on."""
    c = make_cast(pworld)
    inst = start(c.am, CODE, "TS-2026-004", {"severity": "一般"})
    act(c.centre, "受理")
    task = task_of(c.sup, "分派处理")
    with time_machine.travel(task.created_at + dt.timedelta(hours=2, minutes=1), tick=False):
        services.timers_fire_due()
    assert history(inst, "remind") == [("remind", "分派处理", "")]
    assert todo_names(c.chief) == []
    with time_machine.travel(task.created_at + dt.timedelta(hours=4, minutes=1), tick=False):
        services.timers_fire_due()
        assert todo_names(c.sup) == [] and todo_names(c.chief) == ["分派处理"]
        assert task_of(c.chief, "分派处理").escalated
        act(c.chief, "分派处理", opinion="已督促处理")
    assert history(inst, "escalate", "approve")[-2:] == [("escalate", "分派处理", ""), ("approve", "分派处理", "chief")]
    assert claimable_names(c.am) == ["处理"]
