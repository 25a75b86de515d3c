"""服务请求处理流程 (service_request), shipped (R-PROC, REQUIREMENTS §9), end to end: 受理 → 需求评估
(退回 to 受理 possible) → (费用 > 1万元: 领导审批) → 处理实施 (least-loaded account manager) → 客户确认."""

from kam.processes import services
from kam.processes.models import InstanceStatus

from .shipped_helpers import act, history, make_cast, start, task_of, todo_names

CODE = "service_request"


def test_costly_request_is_assessed_sent_back_approved_and_done(pworld):
    """R-PROC: 需求评估 退回 to 受理; a cost above 10 000 asks the city's leader; 处理实施 goes to the
    account manager with the fewest open tasks; the requester confirms."""
    c = make_cast(pworld)
    inst = start(c.am, CODE, "FW-2026-001", {"cost": 20000, "service": "专线扩容"}, "专线扩容申请")
    act(c.centre, "受理")
    task = task_of(c.sup, "需求评估")
    services.task_send_back(user=c.sup, task=task, opinion="请补充带宽需求")
    assert todo_names(c.centre) == ["受理"]  # back at 受理, to its assignee
    act(c.centre, "受理", opinion="已补充")
    act(c.sup, "需求评估")
    act(c.city_leader, "领导审批", opinion="同意扩容")
    # 处理实施: equal loads → the first account manager
    assert todo_names(c.am) == ["处理实施"] and todo_names(c.am2) == []
    act(c.am, "处理实施", opinion="已扩容")
    act(c.am, "客户确认")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    assert history(inst, "start", "approve", "send_back", "complete") == [
        ("start", "", "am"),
        ("approve", "受理", "centre"),
        ("send_back", "需求评估", "sup"),
        ("approve", "受理", "centre"),
        ("approve", "需求评估", "sup"),
        ("approve", "领导审批", "city_leader"),
        ("approve", "处理实施", "am"),
        ("approve", "客户确认", "am"),
        ("complete", "", ""),
    ]


def test_cheap_requests_skip_the_leader_and_go_to_the_least_loaded(pworld):
    """R-PROC: cost ≤ 10 000 → no 领导审批; 处理实施 goes to the account manager with the fewest open
    tasks; the requester may refuse the result (驳回 ends the request)."""
    c = make_cast(pworld)
    first = start(c.am2, CODE, "FW-2026-002", {"cost": 800})
    second = start(c.am2, CODE, "FW-2026-003", {"cost": 500})
    for inst in (first, second):
        act(c.centre, "受理", instance=inst)
        act(c.sup, "需求评估", instance=inst)
    assert todo_names(c.city_leader) == []
    assert todo_names(c.am) == ["处理实施"] and todo_names(c.am2) == ["处理实施"]
    assert task_of(c.am, "处理实施").instance_id == first.pk
    act(c.am2, "处理实施", instance=second)
    act(c.am2, "客户确认", action="reject", opinion="未解决，撤销请求", instance=second)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == InstanceStatus.REJECTED and first.status == InstanceStatus.RUNNING
    assert history(second, "reject") == [("reject", "客户确认", "am2")]
