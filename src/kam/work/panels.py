"""The work panel of the customer 360 view: do-not-disturb windows, work items and executions."""

from __future__ import annotations

from typing import Any

from kam.core.registry import DetailPanel, register_detail_panel

from . import selectors
from .models import Execution, WorkItem


def _work(request: Any, customer) -> dict[str, Any]:
    user = request.user
    items = (WorkItem.objects.restrict(user, "view").filter(customer=customer)
             .select_related("manager", "task").order_by("-created_at", "-pk")[:20])
    executions = (Execution.objects.restrict(user, "view").filter(work_item__customer=customer)
                  .select_related("work_item", "executed_by")[:20])
    return {"items": list(items), "executions": list(executions),
            "dnd_windows": selectors.dnd_current_and_future(customer)}


register_detail_panel("customers.customer", DetailPanel(40, "work", "work/panels/customer_work.html", _work,
                                                        module="work"))
