"""Non-interrupting boundary timers (R-PROC 时限): a duration or date-time fires once; a cycle
``R[n]/PT…`` fires once per period (n times, or until the step ends) — each firing starts the
boundary path again while the step stays open."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from kam.core import clock
from kam.processes import services
from kam.processes.models import EventAction, HumanTask, TaskStatus, Timer, TimerKind
from kam.processes.selectors import tasks_todo

NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://kam"'
ME = {"approver": {"kind": "user", "users": ["me"]}}
PEER = {"approver": {"kind": "user", "users": ["peer"]}}


def _deploy(code, timer):
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NS}>'
           f'<bpmn:process id="{code}" name="{code}" isExecutable="true">'
           '<bpmn:startEvent id="s"/><bpmn:userTask id="review" name="审核"/>'
           '<bpmn:boundaryEvent id="nudge" attachedToRef="review" cancelActivity="false">'
           f'<bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition></bpmn:boundaryEvent>'
           '<bpmn:userTask id="chase" name="跟催"/><bpmn:endEvent id="e"/><bpmn:endEvent id="e2"/>'
           '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>'
           '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/>'
           '<bpmn:sequenceFlow id="f3" sourceRef="nudge" targetRef="chase"/>'
           '<bpmn:sequenceFlow id="f4" sourceRef="chase" targetRef="e2"/>'
           '</bpmn:process></bpmn:definitions>')
    version = services.definition_save(user=None, xml=xml, node_config={"review": ME, "chase": PEER})
    return services.version_activate(user=None, version=version)


def _sweep(at):
    with time_machine.travel(at, tick=False):
        return services.timers_fire_due()


def _chases(pworld):
    return [t.node_name for t in tasks_todo(pworld.user("peer"))]


def _start(pworld, code, at):
    with time_machine.travel(at, tick=False):
        return services.instance_start(user=pworld.user("sub"), definition_code=code, business_key=f"{code}-1")


def test_a_duration_fires_once(pworld):
    """R-PROC: a non-interrupting PT2H timer starts its path once; the step stays open; no re-arming."""
    _deploy("nb_once", "<bpmn:timeDuration>PT2H</bpmn:timeDuration>")
    t0 = clock.now()
    inst = _start(pworld, "nb_once", t0)
    assert _sweep(t0 + dt.timedelta(hours=2, minutes=1)) == 1
    assert _chases(pworld) == ["跟催"]
    assert [t.node_name for t in tasks_todo(pworld.user("me"))] == ["审核"]
    assert not Timer.objects.filter(instance=inst, fired_at__isnull=True).exists()
    assert _sweep(t0 + dt.timedelta(hours=9)) == 0
    assert _chases(pworld) == ["跟催"]
    assert inst.events.filter(action=EventAction.TIMEOUT).count() == 1


def test_an_unbounded_cycle_fires_once_per_period_until_the_step_ends(pworld):
    """R-PROC: R/PT2H on an open step fires at 2 h, 4 h, 6 h — once each — and stops when the step is done."""
    _deploy("nb_cycle", "<bpmn:timeCycle>R/PT2H</bpmn:timeCycle>")
    t0 = clock.now()
    inst = _start(pworld, "nb_cycle", t0)
    assert _sweep(t0 + dt.timedelta(hours=1)) == 0
    for hours in (2, 4, 6):
        assert _sweep(t0 + dt.timedelta(hours=hours, minutes=1)) == 1
        assert _sweep(t0 + dt.timedelta(hours=hours, minutes=2)) == 0  # once per period
    assert _chases(pworld) == ["跟催", "跟催", "跟催"]
    [timer] = Timer.objects.filter(instance=inst, fired_at__isnull=True)
    assert timer.due_at == t0 + dt.timedelta(hours=8)
    with time_machine.travel(t0 + dt.timedelta(hours=7), tick=False):
        [review] = list(tasks_todo(pworld.user("me")))
        services.task_complete(user=pworld.user("me"), task=review, action="approve")
    assert not Timer.objects.filter(instance=inst, fired_at__isnull=True).exists()
    assert _sweep(t0 + dt.timedelta(hours=12)) == 0
    assert HumanTask.objects.filter(instance=inst, node_id="chase", status=TaskStatus.OPEN).count() == 3


def test_a_counted_cycle_fires_n_times(pworld):
    """R-PROC: R2/PT1H fires twice, then never again while the step waits."""
    _deploy("nb_twice", "<bpmn:timeCycle>R2/PT1H</bpmn:timeCycle>")
    t0 = clock.now()
    inst = _start(pworld, "nb_twice", t0)
    fired = [_sweep(t0 + dt.timedelta(hours=h, minutes=1)) for h in (1, 2, 3, 4)]
    assert fired == [1, 1, 0, 0]
    assert _chases(pworld) == ["跟催", "跟催"]
    assert Timer.objects.filter(instance=inst, kind=TimerKind.BOUNDARY).count() == 2


def test_a_bad_cycle_is_refused(pworld):
    with pytest.raises(ValidationError, match="nudge"):
        _deploy("nb_bad", "<bpmn:timeCycle>R0/PT1H</bpmn:timeCycle>")
