"""故障处理流程 (fault_handling), shipped (R-PROC, REQUIREMENTS §9 工单流), end to end: 故障申报 →
派单 (一般故障) → 处理 as a 工单 (service task → the 工单 pool) → 确认 by the reporter (not restored →
back to 处理, by the step's 是否恢复 field) → 归档."""

import pytest
from django.core.exceptions import ValidationError

from kam.processes.models import InstanceStatus, ServiceCall, ServiceCallStatus

from .shipped_helpers import act, claim_and_do, claimable_names, history, make_cast, start, task_of, todo_names

CODE = "fault_handling"


def test_fault_is_dispatched_as_a_work_order_and_confirmed(pworld, django_capture_on_commit_callbacks):
    """R-PROC: 派单 by the 大客户中心; the 工单 step opens a pool task for the city's 工单 handlers;
    the reporter's 确认 answers 故障是否已恢复; 未恢复 goes back to 处理, which opens a new 工单."""
    c = make_cast(pworld)
    inst = start(c.am, CODE, "GZ-2026-001", {"urgent": False, "circuit": "专线 A-1001"}, "专线故障")
    assert task_of(c.centre, "派单").due_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        act(c.centre, "派单", opinion="派维护班组")
    assert todo_names(c.city_centre) == []
    [call] = ServiceCall.objects.filter(instance=inst)
    assert call.status == ServiceCallStatus.PENDING and call.target == "work_order"
    assert claimable_names(c.wo) == ["处理（工单）"]
    assert claimable_names(c.am) == []
    claim_and_do(c.wo, "处理（工单）", opinion="已修复")
    # the reporter confirms: not restored → back to 处理 (the field is required)
    with pytest.raises(ValidationError) as err:
        act(c.am, "确认", opinion="仍未恢复")
    assert "故障是否已恢复" in str(err.value.message_dict["restored"])
    with django_capture_on_commit_callbacks(execute=True):
        act(c.am, "确认", opinion="仍未恢复", data={"restored": "no"})
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.RUNNING and inst.current_nodes == ["handle"]
    assert claimable_names(c.wo) == ["处理（工单）"]
    claim_and_do(c.wo, "处理（工单）", opinion="更换设备后恢复")
    act(c.am, "确认", opinion="已恢复", data={"restored": "yes"})
    act(c.centre, "归档")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    assert ServiceCall.objects.filter(instance=inst, status=ServiceCallStatus.DONE).count() == 2
    assert history(inst, "start", "approve", "reject", "claim", "service", "complete") == [
        ("start", "", "am"),
        ("approve", "派单", "centre"),
        ("claim", "处理（工单）", "wo"),
        ("approve", "处理（工单）", "wo"),
        ("service", "处理（工单）", ""),
        ("approve", "确认", "am"),
        ("claim", "处理（工单）", "wo"),
        ("approve", "处理（工单）", "wo"),
        ("service", "处理（工单）", ""),
        ("approve", "确认", "am"),
        ("approve", "归档", "centre"),
        ("complete", "", ""),
    ]
    assert [e.data for e in inst.events.filter(node_id="confirm", action="approve")] == [
        {"restored": "no"}, {"restored": "yes"}]
    inst.refresh_from_db()
    assert inst.data["restored"] == "yes"


def test_urgent_fault_goes_straight_to_the_work_order(pworld, django_capture_on_commit_callbacks):
    """R-PROC: 紧急故障 skips 派单 (gateway on the instance data)."""
    c = make_cast(pworld)
    with django_capture_on_commit_callbacks(execute=True):
        inst = start(c.am, CODE, "GZ-2026-002", {"urgent": True})
    assert todo_names(c.centre) == [] and todo_names(c.city_centre) == []
    assert claimable_names(c.wo) == ["处理（工单）"]
    inst.refresh_from_db()
    assert inst.current_nodes == ["handle"]
