"""The rules of 工作管理 in the services: R-WORK-1 (check-in before calling), R-WORK-2 (branch and
sub-result decide the result), R-WORK-3 (do not disturb; generation skips or defers), cancel with a
reason, appointments coming back with the moved clock, set-based generation."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from kam.core import clock
from kam.work import selectors, services
from kam.work.integrations import appointment_entries, work_item_entries
from kam.work.models import (
    Branch,
    Channel,
    DndPolicy,
    Execution,
    Result,
    SkipOutcome,
    State,
    Task,
    TaskSkip,
    TaskStatus,
    WorkItem,
)

from .conftest import add_customer, at

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


def manual(ww, who="me", channel=Channel.CALL, days=2):
    return services.work_item_create(user=ww[who], customer=ww.customers[who], title="回访", channel=channel,
                                     due_at=at(clock.today() + dt.timedelta(days=days), 17))


@time_machine.travel(at(DAY, 10), tick=False)
def test_manual_item_for_oneself_and_subordinate(ww):
    item = manual(ww)
    assert (item.manager, item.source, item.state) == (ww["me"], "manual", State.OPEN)
    # a supervisor-like scope: "me" may not make work for "other" (outside the scope)
    with pytest.raises((PermissionDenied, ValidationError)):
        services.work_item_create(user=ww["me"], customer=ww.customers["me"], title="x", manager=ww["other"],
                                  due_at=at(DAY, 18))
    with pytest.raises(ValidationError) as exc:
        services.work_item_create(user=ww["me"], customer=ww.customers["other"], title="x", due_at=at(DAY, 18))
    assert "customer" in exc.value.message_dict


@time_machine.travel(at(DAY, 10), tick=False)
def test_r_work_1_no_call_without_check_in(ww):
    item = manual(ww)
    with pytest.raises(ValidationError) as exc:
        services.work_item_dial(user=ww["me"], item=item)
    assert "session" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.work_item_execute(user=ww["me"], item=item, branch=Branch.SUCCESS, sub_result="agree")
    assert not Execution.objects.exists()
    services.checkin_start(user=ww["me"])
    assert services.work_item_dial(user=ww["me"], item=item) == ww.customers["me"].phone
    services.work_item_execute(user=ww["me"], item=item, branch=Branch.SUCCESS, sub_result="agree")
    services.checkin_end(user=ww["me"])
    assert selectors.open_session(ww["me"]) is None


@time_machine.travel(at(DAY, 10), tick=False)
def test_r_work_1_visit_needs_no_check_in(ww):
    item = manual(ww, channel=Channel.VISIT)
    ex = services.work_item_execute(user=ww["me"], item=item, branch=Branch.SUCCESS, sub_result="agree")
    assert ex.session is None and ex.branch_label == "成功"


@pytest.mark.parametrize(("branch", "sub", "result", "state"), [
    (Branch.SUCCESS, "agree", Result.SUCCESS, State.DONE),
    (Branch.SUCCESS, "disagree", Result.SUCCESS, State.DONE),
    (Branch.SUCCESS, "consider", Result.SUCCESS, State.DONE),
    (Branch.RETRY, "no_answer", Result.FAILURE, State.OPEN),
    (Branch.CLOSE, "refused", Result.FAILURE, State.DONE),
])
@time_machine.travel(at(DAY, 10), tick=False)
def test_r_work_2_branch_decides_result(ww, branch, sub, result, state):
    item = manual(ww)
    services.checkin_start(user=ww["me"])
    ex = services.work_item_execute(user=ww["me"], item=item, branch=branch, sub_result=sub, notes="备注")
    item.refresh_from_db()
    assert (ex.result, item.result, item.state) == (result, result, state)
    if state == State.OPEN:  # 可再次外呼: callable again
        services.work_item_execute(user=ww["me"], item=item, branch=Branch.SUCCESS, sub_result="agree")
        item.refresh_from_db()
        assert item.state == State.DONE and item.attempts == 2
    else:
        with pytest.raises(ValidationError):
            services.work_item_execute(user=ww["me"], item=item, branch=Branch.SUCCESS, sub_result="agree")


@time_machine.travel(at(DAY, 10), tick=False)
def test_r_work_2_sub_result_must_belong_to_branch(ww):
    item = manual(ww)
    services.checkin_start(user=ww["me"])
    with pytest.raises(ValidationError) as exc:
        services.work_item_execute(user=ww["me"], item=item, branch=Branch.RETRY, sub_result="agree")
    assert "sub_result" in exc.value.message_dict


def test_r_work_3_no_call_or_visit_inside_dnd_window(ww):
    with time_machine.travel(at(DAY, 10), tick=False):
        item = manual(ww, days=10)
        visit = manual(ww, channel=Channel.VISIT, days=10)
        services.dnd_add(user=ww["me"], customer=ww.customers["me"], starts_at=at(DAY, 9),
                         ends_at=at(DAY + dt.timedelta(days=2), 9), reason="装修")
        services.checkin_start(user=ww["me"])
        for it in (item, visit):
            with pytest.raises(ValidationError) as exc:
                services.work_item_execute(user=ww["me"], item=it, branch=Branch.SUCCESS, sub_result="agree")
            assert "2026-03-12 09:00" in str(exc.value)
        with pytest.raises(ValidationError):
            services.work_item_dial(user=ww["me"], item=item)
        with pytest.raises(ValidationError):  # no appointment inside the window either
            services.appointment_make(user=ww["me"], item=item, at=at(DAY, 15))
        assert selectors.dnd_customer_ids([ww.customers["me"].pk, ww.customers["peer"].pk]) == {ww.customers["me"].pk}
    with time_machine.travel(at(DAY + dt.timedelta(days=2), 9, 1), tick=False):  # the window is over
        assert selectors.dnd_customer_ids([ww.customers["me"].pk]) == set()
        services.checkin_start(user=ww["me"])
        services.work_item_execute(user=ww["me"], item=item, branch=Branch.SUCCESS, sub_result="agree")
        services.work_item_execute(user=ww["me"], item=visit, branch=Branch.SUCCESS, sub_result="agree")


@time_machine.travel(at(DAY, 10), tick=False)
def test_cancel_needs_a_reason_and_open_items(ww):
    a, b = manual(ww), manual(ww)
    with pytest.raises(ValidationError) as exc:
        services.work_items_cancel(user=ww["me"], items=[a, b], reason=" ")
    assert "reason" in exc.value.message_dict
    assert services.work_items_cancel(user=ww["me"], items=[a, b], reason="客户已注销") == 2
    a.refresh_from_db()
    assert (a.state, a.cancel_reason, a.cancelled_by) == (State.CANCELLED, "客户已注销", ww["me"])
    with pytest.raises(ValidationError):
        services.work_items_cancel(user=ww["me"], items=[a], reason="again")
    other = manual(ww, who="other")
    with pytest.raises(PermissionDenied):
        services.work_items_cancel(user=ww["me"], items=[other], reason="not mine")


def test_appointment_reappears_on_the_task_list_when_due(ww):
    with time_machine.travel(at(DAY, 10), tick=False):
        item = manual(ww, days=30)
        services.checkin_start(user=ww["me"])
        services.work_item_execute(user=ww["me"], item=item, branch=Branch.RETRY, sub_result="later")
        services.appointment_make(user=ww["me"], item=item, at=at(DAY + dt.timedelta(days=3), 10), note="下周再联系")
        until = at(DAY + dt.timedelta(days=1), 0)
        assert list(appointment_entries(ww["me"], until)) == []
        assert list(work_item_entries(ww["me"], until)) == []  # due in 30 days
    with time_machine.travel(at(DAY + dt.timedelta(days=3), 10, 5), tick=False):
        entries = list(appointment_entries(ww["me"], at(DAY + dt.timedelta(days=4), 0)))
        assert [e.key for e in entries] == [f"appointment:{item.appointments.get().pk}"]
        assert "客户me" in entries[0].title and entries[0].detail == "下周再联系"
        assert list(appointment_entries(ww["peer"], at(DAY + dt.timedelta(days=4), 0))) == []
        services.checkin_start(user=ww["me"])
        services.work_item_execute(user=ww["me"], item=item, branch=Branch.SUCCESS, sub_result="agree")
        assert list(appointment_entries(ww["me"], at(DAY + dt.timedelta(days=4), 0))) == []


@time_machine.travel(at(DAY, 10), tick=False)
def test_work_item_entries_list_due_and_overdue(ww):
    item = manual(ww, days=0)
    keys = [e.key for e in work_item_entries(ww["me"], at(DAY + dt.timedelta(days=1), 0))]
    assert keys == [f"workitem:{item.pk}"]


def _campaign(ww, policy, **criteria):
    task = services.task_create(user=ww["lead"], name="函件营销活动", start_on=DAY, due_on=DAY + dt.timedelta(days=9),
                                dnd_policy=policy, criteria=criteria)
    return services.task_generate(user=ww["lead"], task=task)


@pytest.mark.parametrize("policy", [DndPolicy.SKIP, DndPolicy.DEFER])
@time_machine.travel(at(DAY, 8), tick=False)
def test_r_work_3_generation_skips_or_defers_dnd_customers(ww, policy):
    dnd = ww.customers["peer"]
    services.dnd_add(user=ww["lead"], customer=dnd, starts_at=at(DAY, 0), ends_at=at(DAY + dt.timedelta(days=12), 0))
    orphan = add_customer(ww["me"], "无经理客户")
    orphan.relationships.all().delete()
    task = _campaign(ww, policy)
    # lead (city A centre) reaches the customers of city A: me, peer, dept, sub, city_a and the orphan
    items = {i.customer.name: i for i in WorkItem.objects.filter(task=task).select_related("customer")}
    expected = {"客户me", "客户dept", "客户sub", "客户city_a"}
    if policy == DndPolicy.DEFER:
        expected.add("客户peer")
    assert set(items) == expected
    assert items["客户me"].manager == ww["me"] and items["客户me"].org_unit == ww["me"].org_unit
    assert items["客户me"].planned_at == at(DAY, 8)
    assert items["客户me"].due_at == at(DAY + dt.timedelta(days=9), 23, 59) + dt.timedelta(seconds=59)
    assert items["客户me"].source == "generated" and items["客户me"].state == State.OPEN
    skips = {(s.customer.name, s.outcome) for s in TaskSkip.objects.filter(task=task).select_related("customer")}
    outcome = SkipOutcome.SKIPPED if policy == DndPolicy.SKIP else SkipOutcome.DEFERRED
    assert skips == {("客户peer", outcome), ("无经理客户", SkipOutcome.NO_MANAGER)}
    task.refresh_from_db()
    assert task.status == TaskStatus.GENERATED and task.generated_count == len(expected)
    assert (task.skipped_count, task.deferred_count) == ((1, 0) if policy == DndPolicy.SKIP else (0, 1))
    if policy == DndPolicy.DEFER:
        deferred = items["客户peer"]
        assert deferred.deferred and deferred.planned_at == at(DAY + dt.timedelta(days=12), 0)
        assert deferred.due_at == deferred.planned_at  # the window ends after the task's due date
    with pytest.raises(ValidationError):  # generating twice never doubles the work
        services.task_generate(user=ww["lead"], task=task)


@time_machine.travel(at(DAY, 8), tick=False)
def test_generation_by_filter_and_by_manager(ww):
    task = _campaign(ww, DndPolicy.SKIP, industry="logistics")
    names = set(WorkItem.objects.filter(task=task).values_list("customer__name", flat=True))
    assert names == {c.name for label, c in ww.customers.items() if c.industry == "logistics" and label != "other"}
    second = add_customer(ww["peer"], "共管客户")
    from kam.customers.models import Relationship
    Relationship.objects.create(customer=second, department=ww["me"].org_unit, manager=ww["me"])
    task = _campaign(ww, DndPolicy.SKIP, manager=ww["me"].pk)
    rows = list(WorkItem.objects.filter(task=task).values_list("customer__name", "manager__username"))
    assert sorted(rows) == [("共管客户", "me"), ("客户me", "me")]


@time_machine.travel(at(DAY, 8), tick=False)
def test_imported_list_stays_in_scope(ww):
    ids = [ww.customers["me"].pk, ww.customers["other"].pk]
    task = services.task_create(user=ww["lead"], name="导入名单", start_on=DAY, due_on=DAY, customer_ids=ids)
    services.task_generate(user=ww["lead"], task=task)
    assert list(WorkItem.objects.filter(task=task).values_list("customer__name", flat=True)) == ["客户me"]
    with pytest.raises(ValidationError):
        services.task_create(user=ww["lead"], name="x", start_on=DAY, due_on=DAY,
                             customer_ids=[ww.customers["other"].pk])
    assert Task.objects.count() == 1


@time_machine.travel(at(DAY, 8), tick=False)
def test_large_campaign_generates_in_a_background_job(ww, monkeypatch):
    from kam.jobs.services import jobs_run_queued

    monkeypatch.setattr(services, "INLINE_GENERATION_LIMIT", 2)
    task = services.task_create(user=ww["lead"], name="大批量活动", start_on=DAY, due_on=DAY)
    job = services.task_start_generation(user=ww["lead"], task=task)
    task.refresh_from_db()
    assert task.status == TaskStatus.GENERATING and task.job_id == job.pk
    assert not WorkItem.objects.filter(task=task).exists()
    jobs_run_queued()
    task.refresh_from_db()
    assert task.status == TaskStatus.GENERATED and WorkItem.objects.filter(task=task).count() == task.generated_count
