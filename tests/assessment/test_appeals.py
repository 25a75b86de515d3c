"""Result confirmation (结果确认) and appeals (申诉) as processes — REQUIREMENTS §7 beyond seeds,
decision 0026: publish, confirm, automatic confirmation at the deadline (once), appeals decided
through the reviewers' own task lists (R-ASM-6 adjustment, audited), one open appeal per result,
withdrawal, the window, re-runs of a published month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kam.assessment import appeals, services
from kam.assessment.models import (
    Adjustment,
    Appeal,
    AppealStatus,
    AssessmentRun,
    ConfirmationState,
    Publication,
    Result,
    ResultConfirmation,
)
from kam.audit.models import AuditEntry
from kam.processes.models import InstanceStatus
from kam.processes.selectors import tasks_todo
from kam.todo.selectors import todo_list

from .appeals_fixtures import (
    DEADLINE,
    IN_WINDOW,
    PUBLISH_DAY,
    SUB_TOTAL,
    answer,
    confirmation_of,
    result_of,
)
from .conftest import MONTH, at

pytestmark = pytest.mark.django_db


# --- publishing ----------------------------------------------------------------------------------------------------


def test_publish_makes_every_manager_result_pending_on_the_task_list(appeals_published):
    """§7 beyond seeds: publishing gives each account manager's result 待确认 and a task-list line
    (工作列表) until the deadline — no process instance per result."""
    world = appeals_published
    publication = Publication.objects.get(period=MONTH)
    assert publication.deadline == DEADLINE  # R-ASM-6: the last adjustment day of M+1
    assert publication.result_count == Result.objects.filter(period=MONTH).count() == 6
    assert set(ResultConfirmation.objects.values_list("state", flat=True)) == {ConfirmationState.PENDING}
    assert confirmation_of(world, "sub").published_total == SUB_TOTAL
    from kam.processes.models import ProcessInstance

    assert not ProcessInstance.objects.exists()
    with at(IN_WINDOW), translation.override("zh-hans"):
        lines = [line for line in todo_list(world.user("sub")).lines if line.source == appeals.TODO_SOURCE]
    assert [line.title for line in lines] == ["确认2026-03考核结果"]
    assert lines[0].due_at.date() == DEADLINE


def test_publish_needs_the_automatic_run_the_run_permission_and_only_once(appeals_computed):
    world = appeals_computed
    with at(PUBLISH_DAY):
        with pytest.raises(PermissionDenied):
            appeals.publication_create(user=world.user("me"), period=MONTH)
        with pytest.raises(ValidationError, match="2026-02.*2026-03-07"):
            appeals.publication_create(user=world.user("asm_admin"), period="2026-02")
        appeals.publication_create(user=world.user("asm_admin"), period=MONTH)
        with pytest.raises(ValidationError, match="已发布|published already"):
            appeals.publication_create(user=world.user("asm_admin"), period=MONTH)


def test_a_month_computed_by_hand_on_or_after_the_computation_day_may_be_published(appeals_computed):
    """A failed automatic run redone by an administrator: a manual run finished on or after the
    computation day counts; one finished before it does not."""
    world = appeals_computed
    run = AssessmentRun.objects.get(period=MONTH, status="succeeded")
    compute_day = dt.datetime(2026, 4, 7, tzinfo=dt.UTC) - dt.timedelta(hours=8)  # 00:00 in Shanghai
    AssessmentRun.objects.filter(pk=run.pk).update(trigger="manual", finished_at=compute_day - dt.timedelta(minutes=1))
    with at(PUBLISH_DAY):
        with pytest.raises(ValidationError, match="2026-04-07"):
            appeals.publication_create(user=world.user("asm_admin"), period=MONTH)
        AssessmentRun.objects.filter(pk=run.pk).update(finished_at=compute_day)
        assert appeals.publication_create(user=world.user("asm_admin"), period=MONTH).result_count > 0


def test_rerun_of_a_published_month_is_refused_until_the_publication_is_withdrawn(appeals_published):
    """Decision 0026: a re-run would replace the totals managers confirm or appeal."""
    world = appeals_published
    admin = world.user("asm_admin")
    with at(IN_WINDOW):
        appeals.confirmation_confirm(user=world.user("peer"), confirmation=confirmation_of(world, "peer"))
        with pytest.raises(ValidationError, match="撤销发布|withdraw the publication"):
            services.run_start(user=admin, period=MONTH, background=False)
        publication = Publication.objects.get(period=MONTH)
        with pytest.raises(ValidationError):
            appeals.publication_withdraw(user=admin, publication=publication, reason=" ")
        appeals.publication_withdraw(user=admin, publication=publication, reason="指标值有误，重新计算")
        services.run_start(user=admin, period=MONTH, background=False)
        again = appeals.publication_create(user=admin, period=MONTH)
    # The old confirmations stay with the withdrawn publication as the record; the new one starts afresh.
    old = ResultConfirmation.objects.get(publication=publication, user=world.user("peer"))
    assert old.state == ConfirmationState.CONFIRMED
    assert confirmation_of(world, "peer").publication == again
    assert confirmation_of(world, "peer").state == ConfirmationState.PENDING


# --- confirming ----------------------------------------------------------------------------------------------------


def test_the_manager_confirms_their_own_result_only(appeals_published):
    world = appeals_published
    sub = confirmation_of(world, "sub")
    key = f"asmconfirm:{sub.pk}"
    with at(IN_WINDOW):
        assert list(appeals.open_confirmations([key])) == [key]  # a planned reminder would still fire
        with pytest.raises(PermissionDenied):
            appeals.confirmation_confirm(user=world.user("me"), confirmation=sub)  # the supervisor does not
        appeals.confirmation_confirm(user=world.user("sub"), confirmation=sub)
        assert appeals.open_confirmations([key]) == {}  # … and is withdrawn now
        with pytest.raises(ValidationError):
            appeals.confirmation_confirm(user=world.user("sub"), confirmation=sub)
        assert not [line for line in todo_list(world.user("sub")).lines if line.source == appeals.TODO_SOURCE]
    sub.refresh_from_db()
    assert (sub.state, sub.confirmed_by, sub.auto_confirmed) == (ConfirmationState.CONFIRMED, world.user("sub"),
                                                                False)


def test_results_still_pending_are_confirmed_automatically_after_the_deadline_exactly_once(appeals_published):
    """The periodic job after day 15 of M+1 confirms what is still 待确认, once; appeals stay open."""
    world = appeals_published
    with at(IN_WINDOW):
        appeals.confirmation_confirm(user=world.user("peer"), confirmation=confirmation_of(world, "peer"))
        appeals.appeal_create(user=world.user("sub"), confirmation=confirmation_of(world, "sub"), reason="拜访记录漏计")
    with at(DEADLINE, hour=12):  # the last day of the window
        assert appeals.confirmations_close_due() == "nothing due"
    with at(DEADLINE + dt.timedelta(days=1), hour=0):
        assert appeals.confirmations_close_due() == "2026-03: 4"
        assert appeals.confirmations_close_due() == "nothing due"
    with at(DEADLINE + dt.timedelta(days=2), hour=0):
        assert appeals.confirmations_close_due() == "nothing due"
    states = dict(ResultConfirmation.objects.values_list("user__username", "state"))
    assert states == {"me": "confirmed", "peer": "confirmed", "dept": "confirmed", "city_a": "confirmed",
                      "other": "confirmed", "sub": "appealing"}
    assert ResultConfirmation.objects.filter(auto_confirmed=True).count() == 4
    assert Publication.objects.get(period=MONTH).auto_confirmed == 4
    # An appeal withdrawn after the deadline leaves the result confirmed, as if never appealed.
    with at(DEADLINE + dt.timedelta(days=1), hour=9):
        appeals.appeal_withdraw(user=world.user("sub"), appeal=Appeal.objects.get())
    sub = confirmation_of(world, "sub")
    assert (sub.state, sub.auto_confirmed) == (ConfirmationState.CONFIRMED, True)


# --- appeals -------------------------------------------------------------------------------------------------------


def test_appeal_accepted_by_the_supervisor_from_their_task_list_adjusts_the_total(appeals_published):
    """申诉 → 主管审核 (the supervisor who may adjust the subordinate) → 同意 with an adjustment of 3:
    the adjustment service applies it (R-ASM-6, audited), the total changes, 申诉结束."""
    world = appeals_published
    sub, me = world.user("sub"), world.user("me")
    with at(IN_WINDOW):
        appeal = appeals.appeal_create(user=sub, confirmation=confirmation_of(world, "sub"), reason="拜访记录漏计",
                                       indicator_name="客户拜访次数", expected_score="48.3")
        assert confirmation_of(world, "sub").state == ConfirmationState.APPEALING
        assert [t.node_name for t in tasks_todo(me)] == ["主管审核"]
        with pytest.raises(ValidationError, match="adjust_delta|调整分值"):
            answer(me, "主管审核", data={"decision_reason": "核实漏计"})
        answer(me, "主管审核", data={"adjust_delta": "3", "decision_reason": "核实漏计2次拜访"})
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.ACCEPTED
    assert (appeal.decision_delta, appeal.decided_by, appeal.decision_reason) == (D(3), me, "核实漏计2次拜访")
    assert appeal.process.status == InstanceStatus.COMPLETED
    assert result_of(world, "sub").total == SUB_TOTAL + 3
    adjustment = Adjustment.objects.get()
    assert adjustment == appeal.adjustment and adjustment.created_by == me
    assert "核实漏计2次拜访" in adjustment.reason
    assert AuditEntry.objects.filter(content_type__model="adjustment", object_id=str(adjustment.pk)).exists()
    assert confirmation_of(world, "sub").state == ConfirmationState.CLOSED


def test_large_adjustment_goes_to_the_second_review(appeals_published):
    """调整 ≥ 5 分: 考核管理员复核 (city level) before the adjustment is made."""
    world = appeals_published
    sub, me, city_rev = world.user("sub"), world.user("me"), world.user("city_rev")
    with at(IN_WINDOW):
        appeal = appeals.appeal_create(user=sub, confirmation=confirmation_of(world, "sub"), reason="新增EC未统计")
        answer(me, "主管审核", data={"adjust_delta": "6.5", "decision_reason": "补录2个新增EC"})
        assert not Adjustment.objects.exists()
        assert confirmation_of(world, "sub").state == ConfirmationState.APPEALING
        answer(city_rev, "考核管理员复核")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.ACCEPTED and appeal.decided_by == me
    assert result_of(world, "sub").total == SUB_TOTAL + D("6.5")


def test_appeal_rejected_with_a_reason(appeals_published):
    world = appeals_published
    sub, me = world.user("sub"), world.user("me")
    with at(IN_WINDOW):
        appeal = appeals.appeal_create(user=sub, confirmation=confirmation_of(world, "sub"), reason="分数偏低")
        with pytest.raises(ValidationError):
            answer(me, "主管审核", action="reject")  # 驳回 needs the reason
        answer(me, "主管审核", action="reject", opinion="指标值与经分系统一致")
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decision_reason, appeal.decided_by) == (
        AppealStatus.REJECTED, "指标值与经分系统一致", me)
    assert result_of(world, "sub").total == SUB_TOTAL and not Adjustment.objects.exists()
    assert confirmation_of(world, "sub").state == ConfirmationState.CLOSED
    with at(IN_WINDOW):  # 申诉结束 is final
        with pytest.raises(ValidationError):
            appeals.appeal_create(user=sub, confirmation=confirmation_of(world, "sub"), reason="再次申诉")


def test_one_open_appeal_per_result_and_only_by_the_assessed_manager(appeals_published):
    world = appeals_published
    sub = world.user("sub")
    with at(IN_WINDOW):
        with pytest.raises(PermissionDenied):
            appeals.appeal_create(user=world.user("me"), confirmation=confirmation_of(world, "sub"), reason="x")
        with pytest.raises(ValidationError, match="reason"):
            appeals.appeal_create(user=sub, confirmation=confirmation_of(world, "sub"), reason="  ")
        with pytest.raises(ValidationError, match="indicator_name"):
            appeals.appeal_create(user=sub, confirmation=confirmation_of(world, "sub"), reason="x",
                                  indicator_name="不存在的指标")
        appeals.appeal_create(user=sub, confirmation=confirmation_of(world, "sub"), reason="拜访记录漏计")
        with pytest.raises(ValidationError, match="审核中|under review"):
            appeals.appeal_create(user=sub, confirmation=confirmation_of(world, "sub"), reason="再次申诉")
    assert Appeal.objects.count() == 1


def test_the_appellant_withdraws_and_the_result_waits_for_confirmation_again(appeals_published):
    world = appeals_published
    sub, me = world.user("sub"), world.user("me")
    with at(IN_WINDOW):
        appeal = appeals.appeal_create(user=sub, confirmation=confirmation_of(world, "sub"), reason="拜访记录漏计")
        with pytest.raises(PermissionDenied):
            appeals.appeal_withdraw(user=me, appeal=appeal)
        appeals.appeal_withdraw(user=sub, appeal=appeal, reason="已核实无误")
        assert not tasks_todo(me).exists()
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.WITHDRAWN
        assert appeal.process.status == InstanceStatus.WITHDRAWN
        assert confirmation_of(world, "sub").state == ConfirmationState.PENDING
        appeals.confirmation_confirm(user=sub, confirmation=confirmation_of(world, "sub"))


def test_appeal_outside_the_window_is_refused(appeals_published):
    world = appeals_published
    with at(DEADLINE + dt.timedelta(days=1), hour=9):
        with pytest.raises(ValidationError, match="2026-04-15"):
            appeals.appeal_create(user=world.user("sub"), confirmation=confirmation_of(world, "sub"), reason="迟到")


def test_acceptance_after_the_adjustment_window_is_refused_rejection_still_possible(appeals_published):
    """R-ASM-6: after day 15 no adjustment is made — 同意 is refused with the adjustment rule's
    message (nothing changes), 驳回 still closes the appeal."""
    world = appeals_published
    sub, me = world.user("sub"), world.user("me")
    with at(IN_WINDOW):
        appeal = appeals.appeal_create(user=sub, confirmation=confirmation_of(world, "sub"), reason="拜访记录漏计")
    with at(DEADLINE + dt.timedelta(days=1), hour=9):
        with pytest.raises(ValidationError, match="1 to 15|1日至15日|第1"):
            answer(me, "主管审核", data={"adjust_delta": "2", "decision_reason": "漏计"})
        answer(me, "主管审核", action="reject", opinion="已过调整期")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.REJECTED and not Adjustment.objects.exists()
    assert result_of(world, "sub").total == SUB_TOTAL


def test_supervisor_without_adjust_scope_is_not_asked(appeals_published):
    """主管审核 goes to the superiors whose assessment change scope covers the subject; nobody ⇒ the
    administrators (no_approver: admin)."""
    world = appeals_published
    me = world.user("me")
    me.roles.remove(me.roles.get(code="supervisor"))
    with at(IN_WINDOW):
        appeals.appeal_create(user=world.user("sub"), confirmation=confirmation_of(world, "sub"), reason="x")
    assert not tasks_todo(me).exists()
    assert [t.node_name for t in tasks_todo(world.user("asm_admin"))] == ["主管审核"]
