"""Demo step of 工作管理 (order 40): per demo city a marketing campaign (外呼营销) over the customers
of one county generated for their account managers, a do-not-disturb window that the campaign
defers, a few executions and an appointment, and a visit made by hand."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kam.core import clock
from kam.core.demo import DemoContext
from kam.customers.models import Customer, Relationship
from kam.org.models import OrgLevel, OrgUnit, User

from . import services
from .models import Branch, Channel, DndPolicy, Task, WorkItem


def _creator(county: OrgUnit) -> User | None:
    """A key-account centre reviewer (else an administrator) who sees the county's customers."""
    from django.db.models import Q

    candidates = (User.objects.filter(Q(roles__code__in=("reviewer_city", "reviewer_province", "admin"))
                                      | Q(is_superuser=True), is_active=True).distinct().order_by("pk"))
    for user in candidates[:20]:
        if Customer.objects.restrict(user, "view").filter(org_unit__path__startswith=county.path).exists():
            return user
    return None


def work_demo(ctx: DemoContext) -> None:
    if Task.objects.exists() or not Customer.objects.exists():
        return
    today = clock.today()
    now = clock.now()
    for city, *_rest in ctx.data.get("cities", []):
        county = OrgUnit.objects.filter(parent=city, level=OrgLevel.COUNTY).order_by("path").first()
        creator = _creator(county) if county else None
        if creator is None or county is None:
            continue
        sample = list(Customer.objects.filter(org_unit__path__startswith=county.path).order_by("pk")[:3])
        if sample:  # a customer who asked not to be called this week: the campaign defers it
            services.dnd_add(user=creator, customer=sample[0], starts_at=now - dt.timedelta(hours=1),
                             ends_at=now + dt.timedelta(days=5), reason="客户近期装修搬迁，下周再联系")
        task = services.task_create(
            user=creator, name=f"{city.name}{today.year}年函件业务外呼营销活动", channel=Channel.CALL,
            description="向客户介绍商函广告与数据库商函新产品，了解明年寄递需求。", start_on=today,
            due_on=today + dt.timedelta(days=20), dnd_policy=DndPolicy.DEFER, criteria={"org_unit": county.pk})
        services.task_generate(user=creator, task=task)
        # The first manager of the campaign calls a few customers.
        first = WorkItem.objects.filter(task=task, deferred=False).order_by("pk").first()
        if first is None:
            continue
        manager = first.manager
        services.checkin_start(user=manager)
        outcomes = [(Branch.SUCCESS, "agree", "客户同意办理商函广告业务，已约定下周签约。"),
                    (Branch.RETRY, "no_answer", "无人接听，改日再呼。"),
                    (Branch.SUCCESS, "consider", "客户表示考虑后再办理。")]
        items = list(WorkItem.objects.filter(task=task, manager=manager, deferred=False).order_by("pk")[:4])
        for item, (branch, sub, notes) in zip(items, outcomes, strict=False):
            services.work_item_execute(user=manager, item=item, branch=branch, sub_result=sub, notes=notes)
        if len(items) > 1:
            services.appointment_make(user=manager, item=items[1], at=now + dt.timedelta(days=1, hours=2),
                                      note="客户要求明天上午再联系")
        services.checkin_end(user=manager)
        rel = Relationship.objects.filter(manager=manager).select_related("customer").first()
        if rel is not None:
            services.work_item_create(
                user=manager, customer=rel.customer, title="季度走访", channel=Channel.VISIT,
                content="上门了解客户寄递需求与服务满意度。",
                due_at=timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=3), dt.time(17))))
