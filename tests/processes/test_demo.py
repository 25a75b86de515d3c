"""Demo data of 流程管理: applications in the two-step approval, in managers' and superiors' task lists."""

import random

import pytest

from kam.core.demo import DemoContext
from kam.org.demo import org_demo
from kam.processes.demo import processes_demo
from kam.processes.models import InstanceStatus, ProcessInstance
from kam.processes.selectors import tasks_todo

pytestmark = pytest.mark.django_db


def test_demo_instances_wait_in_superiors_task_lists():
    ctx = DemoContext(size="demo", rng=random.Random(3), password="Demo@pass-2026")
    org_demo(ctx)
    processes_demo(ctx)
    instances = list(ProcessInstance.objects.select_related("starter__superior"))
    assert len(instances) == 12
    assert {i.status for i in instances} <= {InstanceStatus.RUNNING, InstanceStatus.COMPLETED}
    waiting_supervisor = [i for i in instances if i.current_nodes == ["supervisor_review"]]
    assert waiting_supervisor and len(waiting_supervisor) < len(instances)
    for inst in waiting_supervisor:
        assert tasks_todo(inst.starter.superior).filter(instance=inst).exists()
    processes_demo(ctx)  # a second run adds nothing
    assert ProcessInstance.objects.count() == 12
