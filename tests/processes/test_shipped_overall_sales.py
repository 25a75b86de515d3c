"""总体销售流程 (overall_sales), shipped (R-PROC, REQUIREMENTS §9 and §3b), end to end: the account
manager's stages 商机发现 → 需求分析 → 方案制定 → 商务谈判 → 签约 → 实施, with the supervisor's stage
gates 立项审核 and 签约审批 (预计收入 ≥ 100万元: also the second-level superior)."""

import datetime as dt

from kam.processes.models import InstanceStatus

from .shipped_helpers import act, history, make_cast, start, task_of, todo_names

CODE = "overall_sales"


def test_big_opportunity_passes_every_stage_and_gate(pworld):
    """R-PROC: 立项审核 驳回 to 需求分析 for rework; a big deal adds 上级主管审批 (level-2 superior)."""
    c = make_cast(pworld)
    inst = start(c.am, CODE, "SJ-2026-001", {"expected_revenue": 2_000_000, "customer": "某银行分行"},
                 "某银行专线项目")
    stage = task_of(c.am, "商机发现")
    assert stage.due_at == stage.created_at + dt.timedelta(hours=168)
    act(c.am, "商机发现")
    act(c.am, "需求分析")
    assert todo_names(c.sup) == ["立项审核"]
    act(c.sup, "立项审核", action="reject", opinion="需求不清，补充调研", target_node="analyse")
    assert todo_names(c.am) == ["需求分析"]
    act(c.am, "需求分析", opinion="已补充调研")
    act(c.sup, "立项审核", opinion="同意立项")
    for name in ("方案制定", "商务谈判"):
        act(c.am, name)
    act(c.sup, "签约审批")
    assert todo_names(c.am) == [] and todo_names(c.chief) == ["上级主管审批"]
    act(c.chief, "上级主管审批")
    act(c.am, "签约")
    act(c.am, "实施")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    steps = [(a, n) for a, n, _u in history(inst, "approve", "reject")]
    assert steps == [("approve", "商机发现"), ("approve", "需求分析"), ("reject", "立项审核"),
                     ("approve", "需求分析"), ("approve", "立项审核"), ("approve", "方案制定"),
                     ("approve", "商务谈判"), ("approve", "签约审批"), ("approve", "上级主管审批"),
                     ("approve", "签约"), ("approve", "实施")]


def test_small_opportunity_skips_the_second_level_and_may_be_closed(pworld):
    """R-PROC: 预计收入 below 100万元 → no 上级主管审批; 驳回 to the submitter closes the opportunity."""
    c = make_cast(pworld)
    inst = start(c.am2, CODE, "SJ-2026-002", {"expected_revenue": 50_000})
    for name in ("商机发现", "需求分析"):
        act(c.am2, name)
    act(c.sup, "立项审核")
    for name in ("方案制定", "商务谈判"):
        act(c.am2, name)
    act(c.sup, "签约审批")
    assert todo_names(c.chief) == [] and todo_names(c.am2) == ["签约"]
    lost = start(c.am, CODE, "SJ-2026-003", {"expected_revenue": 10_000})
    act(c.am, "商机发现", instance=lost)
    act(c.am, "需求分析", instance=lost)
    act(c.sup, "立项审核", action="reject", opinion="客户无预算，关闭商机", instance=lost)
    lost.refresh_from_db()
    inst.refresh_from_db()
    assert lost.status == InstanceStatus.REJECTED and inst.status == InstanceStatus.RUNNING
    assert todo_names(c.am) == []
