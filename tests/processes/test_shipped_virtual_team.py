"""虚拟销售团队工作流程 (virtual_team), shipped (R-PROC, REQUIREMENTS §9), end to end: 组建申请 →
组建审批 (copied to the county's 大客户中心) → 任务分派 → 销售支撑 ∥ 技术支撑 (the members the
applicant chose, each their own task, in parallel) → 工作汇总 → 团队评价 (退回 to 汇总 possible)."""

from kam.processes import services
from kam.processes.models import InstanceStatus

from .shipped_helpers import act, copied_names, history, make_cast, start, task_of, todo_names

CODE = "virtual_team"


def test_team_members_work_in_parallel_and_the_summary_is_sent_back_once(pworld):
    """R-PROC: parallel branches with the chosen members (all must finish) join before 工作汇总;
    团队评价 退回 the summary for rework."""
    c = make_cast(pworld)
    peer, me = pworld.user("peer"), pworld.user("me")
    members = {"sales_work": ["am2", "peer"], "tech_work": ["me"]}
    inst = start(c.am, CODE, "TD-2026-01", {"approvers": members, "customer": "某省电网"}, "电网项目虚拟团队")
    act(c.sup, "组建审批", opinion="同意组建")
    assert copied_names(c.centre) == ["组建审批"]
    act(c.am, "任务分派")
    assert todo_names(c.am2) == ["销售支撑"] and todo_names(peer) == ["销售支撑"] and todo_names(me) == ["技术支撑"]
    inst.refresh_from_db()
    assert sorted(inst.current_nodes) == ["sales_work", "tech_work"]
    act(me, "技术支撑")
    act(c.am2, "销售支撑")
    assert todo_names(c.am) == []  # waits for the last member
    act(peer, "销售支撑")
    act(c.am, "工作汇总")
    services.task_send_back(user=c.sup, task=task_of(c.sup, "团队评价"), opinion="补充各成员贡献")
    act(c.am, "工作汇总", opinion="已补充")
    act(c.sup, "团队评价", opinion="优秀")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    assert history(inst, "start", "approve", "send_back", "complete") == [
        ("start", "", "am"), ("approve", "组建审批", "sup"), ("approve", "任务分派", "am"),
        ("approve", "技术支撑", "me"), ("approve", "销售支撑", "am2"), ("approve", "销售支撑", "peer"),
        ("approve", "工作汇总", "am"), ("send_back", "团队评价", "sup"), ("approve", "工作汇总", "am"),
        ("approve", "团队评价", "sup"), ("complete", "", "")]


def test_team_request_rejected_then_applied_for_again(pworld):
    """R-PROC: 组建审批 驳回 ends the request; the applicant applies again; a branch without chosen
    members passes by itself."""
    c = make_cast(pworld)
    first = start(c.am, CODE, "TD-2026-02", {"approvers": {"sales_work": ["am2"]}})
    act(c.sup, "组建审批", action="reject", opinion="成员不足")
    first.refresh_from_db()
    assert first.status == InstanceStatus.REJECTED
    again = start(c.am, CODE, "TD-2026-02", {"approvers": {"sales_work": ["am2"]}})
    act(c.sup, "组建审批")
    act(c.am, "任务分派")
    assert todo_names(c.am2) == ["销售支撑"]
    act(c.am2, "销售支撑")
    assert todo_names(c.am) == ["工作汇总"]
    assert history(again, "auto_pass") == [("auto_pass", "技术支撑", "")]
