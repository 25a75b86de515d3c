"""Demo data of 工作列表: items supervisors assigned to their managers, and a few subscriptions."""

from __future__ import annotations

import datetime as dt

from kam.core import clock
from kam.core.demo import DemoContext
from kam.org.models import User

from . import services
from .models import SOURCE_ASSIGNED, Subscription, TodoItem
from .selectors import end_of_today

TITLES = ("走访重点客户并更新联系人", "整理本月营销日志", "提交季度客户维护计划", "跟进合同续签", "核对欠费客户名单",
          "准备客户座谈会材料")


def todo_demo(ctx: DemoContext) -> None:
    if TodoItem.objects.filter(assigned_by__isnull=False).exists():
        return
    managers = [m for m in ctx.data.get("managers", []) if m.superior_id]
    if not managers:
        managers = list(User.objects.filter(superior__isnull=False, roles__code="account_manager")[:20])
    count = 12 if ctx.size == "demo" else 200
    chosen = ctx.rng.sample(managers, min(count, len(managers)))
    # The demo account "manager" always gets one overdue and one item due today.
    first = User.objects.filter(username="manager").first()
    if first is not None and first.superior_id:
        chosen = [first, first, *(m for m in chosen if m.pk != first.pk)]
    now = clock.now()
    tonight = end_of_today(now) - dt.timedelta(minutes=1)  # "due today" whatever the hour of the demo
    for i, manager in enumerate(chosen):
        superior = User.objects.get(pk=manager.superior_id)
        due = (now - dt.timedelta(hours=20) if i == 0 else tonight if i == 1
               else now + dt.timedelta(hours=ctx.rng.randint(-48, 96)))
        services.todo_item_create(user=superior, assignee=manager, title=TITLES[i % len(TITLES)],
                                  detail="请按时完成并在工作日志中记录。", due_at=due)
    supervisors = {m.superior_id for m in chosen}
    for sup in User.objects.filter(pk__in=supervisors):
        if not Subscription.objects.filter(user=sup, source=SOURCE_ASSIGNED).exists():
            services.subscription_create(user=sup, source=SOURCE_ASSIGNED, lead_minutes=24 * 60)
