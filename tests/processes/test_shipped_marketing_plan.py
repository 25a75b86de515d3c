"""营销计划管理流程 (marketing_plan), shipped (R-PROC, REQUIREMENTS §9 and §3b), end to end: 制定计划 →
主管审核 (copied to the county's 大客户中心) → (预算 > 10万元: 领导审批) → 计划执行 → 执行总结."""

from kam.processes.models import InstanceStatus

from .shipped_helpers import act, copied_names, history, make_cast, start, task_of, todo_names

CODE = "marketing_plan"


def test_big_plan_goes_to_the_leader_who_sends_it_back_to_drafting(pworld):
    """R-PROC: the supervisor reviews, the leader (budget above 100 000) 驳回 to 制定计划, the plan
    is revised and passes; execution and summary by the account manager."""
    c = make_cast(pworld)
    inst = start(c.am, CODE, "YX-2026-01", {"budget": 150_000, "period": "2026-Q1"}, "一季度政企营销计划")
    act(c.am, "制定计划")
    act(c.sup, "主管审核", opinion="同意")
    assert copied_names(c.centre) == ["主管审核"]
    assert task_of(c.city_leader, "领导审批").instance.title == "一季度政企营销计划"
    act(c.city_leader, "领导审批", action="reject", opinion="预算偏高，请压缩", target_node="draft")
    assert todo_names(c.am) == ["制定计划"] and todo_names(c.city_leader) == []
    act(c.am, "制定计划", opinion="已压缩预算")
    act(c.sup, "主管审核")
    act(c.city_leader, "领导审批")
    act(c.am, "计划执行")
    act(c.am, "执行总结")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    assert history(inst, "approve", "reject") == [
        ("approve", "制定计划", "am"), ("approve", "主管审核", "sup"), ("reject", "领导审批", "city_leader"),
        ("approve", "制定计划", "am"), ("approve", "主管审核", "sup"), ("approve", "领导审批", "city_leader"),
        ("approve", "计划执行", "am"), ("approve", "执行总结", "am")]


def test_small_plan_needs_only_the_supervisor(pworld):
    """R-PROC: budget ≤ 100 000 → straight to 计划执行 after 主管审核; the supervisor may reject it."""
    c = make_cast(pworld)
    inst = start(c.am2, CODE, "YX-2026-02", {"budget": 30_000})
    act(c.am2, "制定计划")
    act(c.sup, "主管审核")
    assert todo_names(c.city_leader) == [] and todo_names(c.am2) == ["计划执行"]
    other = start(c.am2, CODE, "YX-2026-03", {"budget": 30_000})
    act(c.am2, "制定计划", instance=other)
    act(c.sup, "主管审核", action="reject", opinion="与年度重点不符", instance=other)
    other.refresh_from_db()
    inst.refresh_from_db()
    assert other.status == InstanceStatus.REJECTED and inst.status == InstanceStatus.RUNNING
