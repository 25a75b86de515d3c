"""The timer sweep (R-PROC 时限/催办): reminders are fired set-based, a batch in a fixed number of
statements, each once, only for tasks still open; the engine is loaded only for timers that move
the workflow."""

import datetime as dt

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kam.core import clock
from kam.processes import services
from kam.processes.models import EventAction, HumanTask, TaskEvent, Timer, TimerKind
from kam.processes.selectors import tasks_todo


def _start(pworld, n, prefix="SW"):
    return [services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval",
                                    business_key=f"{prefix}-{i}") for i in range(n)]


def _sweep_statements(when):
    with time_machine.travel(when, tick=False), CaptureQueriesContext(connection) as q:
        fired = services.timers_fire_due()
    return fired, q.captured_queries


def test_due_reminders_fire_set_based_once_each(pworld):
    """R-PROC 催办: 3 or 12 due reminders take the same number of statements, none loads the engine
    state, each open task gets one 催办 history entry and its next reminder before the deadline."""
    start = clock.now()
    with time_machine.travel(start, tick=False):
        _start(pworld, 3, "A")
    fired_small, small = _sweep_statements(start + dt.timedelta(hours=8, minutes=1))
    with time_machine.travel(start, tick=False):
        _start(pworld, 12, "B")
    Timer.objects.filter(kind=TimerKind.REMIND, fired_at__isnull=True).update(due_at=start + dt.timedelta(hours=8))
    fired_large, large = _sweep_statements(start + dt.timedelta(hours=8, minutes=2))
    assert (fired_small, fired_large) == (3, 15)  # the 3 first tasks' next reminders were moved too
    assert len(large) == len(small)
    assert not any("engine_state" in x["sql"] for x in small + large)
    assert TaskEvent.objects.filter(action=EventAction.REMIND).count() == 18
    me = pworld.user("me")
    for task in tasks_todo(me):
        assert task.next_remind_at == start + dt.timedelta(hours=16)
        assert task.events.filter(action=EventAction.REMIND, target=me).exists()
    assert Timer.objects.filter(kind=TimerKind.REMIND, fired_at__isnull=True).count() == 15
    with time_machine.travel(start + dt.timedelta(hours=8, minutes=3), tick=False):
        assert services.timers_fire_due() == 0  # each once


def test_reminder_of_a_closed_task_adds_nothing(pworld):
    """R-PROC 催办: a due reminder whose task was handled meanwhile is consumed without history."""
    start = clock.now()
    with time_machine.travel(start, tick=False):
        [inst] = _start(pworld, 1, "C")
    task = HumanTask.objects.get(instance=inst, status="open")
    HumanTask.objects.filter(pk=task.pk).update(status="done")  # as if handled by an old release
    with time_machine.travel(start + dt.timedelta(hours=8, minutes=1), tick=False):
        assert services.timers_fire_due() == 1
    assert not TaskEvent.objects.filter(action=EventAction.REMIND).exists()
    assert not Timer.objects.filter(kind=TimerKind.REMIND, fired_at__isnull=True).exists()


def test_escalation_in_the_same_batch_still_reassigns(pworld):
    """R-PROC 升级: a batch with reminders and a due escalation fires both; the escalation moves the
    task to the superior, the reminder went to the assignee before."""
    boss = pworld.user("city_a")
    me = pworld.user("me")
    type(me).objects.filter(pk=me.pk).update(superior=boss)
    start = clock.now()
    with time_machine.travel(start, tick=False):
        [inst] = _start(pworld, 1, "D")
    Timer.objects.filter(kind=TimerKind.REMIND).update(due_at=start + dt.timedelta(hours=23))
    with time_machine.travel(start + dt.timedelta(hours=24, minutes=1), tick=False):
        assert services.timers_fire_due() == 2
    assert inst.events.filter(action=EventAction.REMIND, target=me).count() == 1
    assert inst.events.filter(action=EventAction.ESCALATE, target=boss).count() == 1
    assert [t.instance_id for t in tasks_todo(boss)] == [inst.pk]
