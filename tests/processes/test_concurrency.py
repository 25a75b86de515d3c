"""Concurrency on PostgreSQL: one of two completers wins; a due timer fires exactly once."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from kam.core import clock
from kam.processes import services
from kam.processes.models import EventAction, HumanTask, TaskEvent, Timer
from kam.processes.selectors import tasks_todo

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor == "sqlite", reason="concurrent connections need PostgreSQL"),
]


def _race(n, fn):
    barrier = threading.Barrier(n)
    results: list = []

    def run(i):
        try:
            barrier.wait()
            results.append(("ok", fn(i)))
        except ValidationError as exc:
            results.append(("refused", " ".join(exc.messages)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_users_completing_one_task_one_wins(pworld):
    """The same task opened twice (same row version): one approval counts, the other is told."""
    services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="RACE")
    [task] = list(tasks_todo(pworld.user("me")))
    me = pworld.user("me")
    version = task.version

    def complete(i):
        t = HumanTask.objects.get(pk=task.pk)
        return services.task_complete(user=me, task=t, action="approve", opinion=f"同意{i}",
                                      expected_version=version).pk

    results = _race(2, complete)
    assert sorted(r[0] for r in results) == ["ok", "refused"]
    refused = next(r[1] for r in results if r[0] == "refused")
    assert "该任务已被处理" in refused or "already been handled" in refused
    assert TaskEvent.objects.filter(task=task, action=EventAction.APPROVE).count() == 1
    assert HumanTask.objects.filter(instance=task.instance, node_id="leader_review").count() <= 1


def test_a_due_timer_fires_once_with_several_sweepers(pworld):
    services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="TIMER")
    Timer.objects.update(due_at=clock.now() - dt.timedelta(minutes=1))
    timers = Timer.objects.count()
    results = _race(4, lambda i: services.timers_fire_due(worker=f"w{i}"))
    assert sum(r[1] for r in results) == timers
    assert TaskEvent.objects.filter(action=EventAction.REMIND).count() == 1
    assert TaskEvent.objects.filter(action=EventAction.ESCALATE).count() == 1
    assert Timer.objects.filter(fired_at__isnull=False).exclude(claimed_by="").count() == timers


def test_two_candidates_claiming_one_pool_task_one_wins(pworld):
    """工作派发 pool: concurrent claims → one gets the task, the other is told who has it."""
    from kam.processes.loader import DEFINITIONS_DIR

    xml = (DEFINITIONS_DIR / "two_step_approval.bpmn").read_text(encoding="utf-8").replace(
        'id="two_step_approval"', 'id="pool_race"').replace('bpmnElement="two_step_approval"',
                                                            'bpmnElement="pool_race"')
    version = services.definition_save(user=None, xml=xml, node_config={
        "supervisor_review": {"approver": {"kind": "user", "users": ["me", "peer"]}, "dispatch": "pool"}})
    services.version_activate(user=None, version=version)
    services.instance_start(user=pworld.user("sub"), definition_code="pool_race", business_key="POOL-RACE")
    task = HumanTask.objects.get(node_id="supervisor_review")
    users = [pworld.user("me"), pworld.user("peer")]

    def claim(i):
        return services.task_claim(user=users[i], task=HumanTask.objects.get(pk=task.pk)).assignee_id

    results = _race(2, claim)
    assert sorted(r[0] for r in results) == ["ok", "refused"]
    winner = next(r[1] for r in results if r[0] == "ok")
    refused = next(r[1] for r in results if r[0] == "refused")
    assert "已被" in refused or "already been claimed" in refused or "已被处理" in refused
    assert HumanTask.objects.get(pk=task.pk).assignee_id == winner
    assert TaskEvent.objects.filter(task=task, action=EventAction.CLAIM).count() == 1
