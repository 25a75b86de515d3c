"""Demo data of 流程管理: applications in the shipped two-step approval, some already handled."""

from __future__ import annotations

from kam.core.demo import DemoContext

from . import services
from .loader import load_shipped_definitions
from .models import ProcessDefinition, ProcessInstance
from .selectors import tasks_todo


def processes_demo(ctx: DemoContext) -> None:
    if ProcessInstance.objects.filter(business_key__startswith="DEMO-").exists():
        return
    if not ProcessDefinition.objects.filter(code="two_step_approval").exists():
        load_shipped_definitions()
    managers = [m for m in ctx.data.get("managers", []) if m.superior_id]
    count = 12 if ctx.size == "demo" else 200
    chosen = ctx.rng.sample(managers, min(count, len(managers)))
    for i, manager in enumerate(chosen, 1):
        amount = ctx.rng.choice((300, 800, 1500, 4200))
        inst = services.instance_start(user=manager, definition_code="two_step_approval",
                                       business_key=f"DEMO-{i:04d}", title=f"费用报销申请 {i:04d}",
                                       data={"金额": amount, "事由": ctx.rng.choice(("客户走访", "营销活动", "培训"))})
        if i % 3 == 0:  # a third already passed the supervisor
            superior = manager.superior
            for task in tasks_todo(superior).filter(instance=inst):
                services.task_complete(user=superior, task=task, action="approve", opinion="同意")
