"""营销活动管理流程 (marketing_campaign), shipped (R-PROC, REQUIREMENTS §9 and §3b), end to end: 活动策划
→ 部门会签 (the supervisor, the county's and the city's 大客户中心 — all must agree) → (预算 > 20万元:
领导审批) → 活动发布 → 活动执行 → 效果评估."""

from kam.processes.models import InstanceStatus, TaskStatus

from .shipped_helpers import act, history, make_cast, start, todo_names

CODE = "marketing_campaign"


def test_campaign_joint_review_all_must_agree_and_one_no_sends_it_back(pworld):
    """R-PROC 会签: every department gets the task at once; one 驳回 to 活动策划 withdraws the others;
    after revision all three agree, the leader approves the big budget, then publish, run, evaluate."""
    c = make_cast(pworld)
    inst = start(c.am, CODE, "HD-2026-01", {"budget": 300_000, "target": "全市政企客户"}, "春季政企营销活动")
    act(c.am, "活动策划")
    assert [todo_names(u) for u in (c.sup, c.centre, c.city_centre)] == [["部门会签"]] * 3
    act(c.sup, "部门会签")
    act(c.centre, "部门会签", action="reject", opinion="与区县活动时间冲突", target_node="plan")
    assert todo_names(c.city_centre) == []  # the third department's copy is withdrawn
    assert todo_names(c.am) == ["活动策划"]
    act(c.am, "活动策划", opinion="已调整时间")
    act(c.city_centre, "部门会签")
    act(c.sup, "部门会签")
    assert todo_names(c.city_leader) == []  # 会签: still waiting for the county centre
    act(c.centre, "部门会签")
    act(c.city_leader, "领导审批")
    act(c.centre, "活动发布")
    act(c.am, "活动执行")
    act(c.sup, "效果评估", opinion="目标达成")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    assert history(inst, "approve", "reject") == [
        ("approve", "活动策划", "am"), ("approve", "部门会签", "sup"), ("reject", "部门会签", "centre"),
        ("approve", "活动策划", "am"), ("approve", "部门会签", "city_centre"), ("approve", "部门会签", "sup"),
        ("approve", "部门会签", "centre"), ("approve", "领导审批", "city_leader"),
        ("approve", "活动发布", "centre"), ("approve", "活动执行", "am"), ("approve", "效果评估", "sup")]
    assert inst.tasks.filter(node_id="joint_review", status=TaskStatus.CANCELLED).count() == 1


def test_small_campaign_skips_the_leader(pworld):
    """R-PROC: budget ≤ 200 000 → 活动发布 right after 部门会签."""
    c = make_cast(pworld)
    start(c.am2, CODE, "HD-2026-02", {"budget": 20_000})
    act(c.am2, "活动策划")
    for user in (c.sup, c.centre, c.city_centre):
        act(user, "部门会签")
    assert todo_names(c.city_leader) == [] and todo_names(c.centre) == ["活动发布"]
