"""Excel exports of 工作管理: every list exports exactly what it shows, within the data scope."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kam.customers.models import Customer
from kam.exchange.columns import CellError, Choice, DateTime, ForeignKey, Integer, Text
from kam.exchange.specs import ExportSpec, ImportSpec, RowContext, register

from . import services
from .filtersets import DndFilterSet, ExecutionFilterSet, TaskFilterSet, WorkItemFilterSet
from .models import (
    Branch,
    Channel,
    DoNotDisturb,
    Execution,
    Result,
    Source,
    State,
    Task,
    TaskStatus,
    TaskTarget,
    WorkItem,
)


@register
class WorkItemSpec(ExportSpec):
    code = "work.items"
    label = _("Work items")
    model = WorkItem
    module = "work"
    filterset = WorkItemFilterSet
    ordering = ("due_at", "pk")
    columns = (
        Text("title", _("Work name"), width=24),
        Choice("source", _("Work source"), choices=Source.choices),
        Text("task_name", _("Task"), source=lambda o: o.task.name if o.task_id else "", width=24),
        Choice("channel", _("Work type"), choices=Channel.choices),
        Text("customer_number", _("Key-customer number"), source="customer.key_number"),
        Text("customer_name", _("Customer name"), source="customer.name", width=30),
        Text("manager_name", _("Account manager"), source="manager.name"),
        DateTime("planned", _("Start at"), source="planned_at"),
        DateTime("due", _("Due at"), source="due_at"),
        Choice("state", _("State"), choices=State.choices),
        Choice("result", _("Result"), choices=Result.choices),
        Integer("attempts", _("Attempts")),
        DateTime("completed", _("Completed at"), source="completed_at"),
        Text("cancel_reason", _("Cancel reason"), width=24),
    )

    def get_queryset(self, user: Any):
        return self.base_queryset(user, "view").select_related("task", "customer", "manager").order_by(*self.ordering)


@register
class TaskSpec(ExportSpec):
    code = "work.tasks"
    label = _("Tasks")
    model = Task
    module = "work_tasks"
    filterset = TaskFilterSet
    ordering = ("-start_on", "pk")
    columns = (
        Text("name", _("Task name"), width=30),
        Choice("channel", _("Work type"), choices=Channel.choices),
        Text("start", _("Start date"), source=lambda o: o.start_on.isoformat()),
        Text("due", _("Due date"), source=lambda o: o.due_on.isoformat()),
        Choice("status", _("Status"), choices=TaskStatus.choices),
        Integer("generated_count", _("Work items generated")),
        Integer("skipped_count", _("Customers skipped")),
        Integer("deferred_count", _("Customers deferred")),
        Text("creator", _("Created by"), source="created_by.name"),
    )

    def get_queryset(self, user: Any):
        return self.base_queryset(user, "view").select_related("created_by").order_by(*self.ordering)


@register
class ExecutionSpec(ExportSpec):
    code = "work.executions"
    label = _("Execution records")
    model = Execution
    module = "work"
    filterset = ExecutionFilterSet
    ordering = ("-executed_at", "pk")
    columns = (
        DateTime("executed", _("Executed at"), source="executed_at"),
        Text("work", _("Work name"), source="work_item.title", width=24),
        Text("customer", _("Customer name"), source="work_item.customer.name", width=30),
        Choice("channel", _("Work type"), choices=Channel.choices),
        Choice("branch", _("Execution branch"), choices=Branch.choices),
        Text("sub", _("Execution sub-result"), source=lambda o: o.sub_result_label),
        Choice("result", _("Execution result"), choices=Result.choices),
        Text("by", _("Executed by"), source="executed_by.name"),
        Text("notes", _("Notes"), width=30),
    )

    def get_queryset(self, user: Any):
        return (self.base_queryset(user, "view")
                .select_related("work_item", "work_item__customer", "executed_by").order_by(*self.ordering))


@register
class DndSpec(ExportSpec):
    code = "work.dnd"
    label = _("Do-not-disturb windows")
    model = DoNotDisturb
    module = "work"
    filterset = DndFilterSet
    ordering = ("-starts_at", "pk")
    columns = (
        Text("customer", _("Customer name"), source="customer.name", width=30),
        DateTime("start", _("From"), source="starts_at"),
        DateTime("end", _("Until"), source="ends_at"),
        Text("reason", _("Reason"), width=30),
        Text("by", _("Entered by"), source="created_by.name"),
    )

    def get_queryset(self, user: Any):
        return self.base_queryset(user, "view").select_related("customer", "created_by").order_by(*self.ordering)


class ScopedCustomer(ForeignKey):
    """A customer of the importing user's data scope; anything else reads "does not exist or is
    outside your data scope" (the user cannot tell which, by design)."""

    def parse(self, raw: Any, ctx: Any = None) -> Any:
        try:
            return super().parse(raw, ctx)
        except CellError:
            raise CellError(_("does not exist or is outside your data scope")) from None


@register
class TaskCustomerSpec(ImportSpec):
    """The customer list of a task (任务 › 导入客户名单): one customer a row, by key-customer number or
    by full name. The task form runs this spec on the uploaded file (``services.task_import_customers``);
    every row is checked first and nothing is saved on any error."""

    code = "work.task_customers"
    label = _("Task customer list")
    model = TaskTarget
    module = "work_tasks"
    key = "customer"
    ordering = ("task", "pk")
    columns = (
        ScopedCustomer("customer", _("Key-customer number"), model=Customer, key="key_number", width=20,
                       help=_("a customer in your data scope; or leave empty and give the full name")),
        ScopedCustomer("customer_by_name", _("Customer name"), model=Customer, key="name", width=30,
                       source="customer", help=_("used when the key-customer number is empty")),
        Text("task_name", _("Task"), source="task.name", importable=False, width=24),
    )

    def __init__(self, task: Task | None = None) -> None:
        self.task = task

    def base_queryset(self, user: Any, action: str = "view"):
        """A task's list is seen and changed with its task (tasks carry the scope)."""
        return TaskTarget.objects.filter(task__in=Task.objects.restrict(user, action).values("pk"))

    def get_queryset(self, user: Any):
        qs = self.base_queryset(user, "view").select_related("task", "customer")
        if self.task is not None:
            qs = qs.filter(task=self.task)
        return qs.order_by(*self.ordering)

    def find_existing(self, keys: set[str]) -> dict[str, Any]:
        return {}  # every row adds a customer to the list; a customer listed twice is kept once

    def check_rows(self, ctx: RowContext, rows: list[Any]) -> None:
        for row in rows:
            if row.errors:
                continue
            by_number, by_name = row.values.get("customer"), row.values.get("customer_by_name")
            if by_number is None and by_name is None:
                row.add_error("customer", _("enter the key-customer number or the customer name"))
            elif by_number is not None and by_name is not None and by_number.pk != by_name.pk:
                row.add_error("customer_by_name", _("names another customer than the key-customer number"))
            elif self.task is None:
                row.add_error(None, _("Import the customer list on the form of a new task."))

    def create(self, ctx: RowContext, values: dict[str, Any]) -> TaskTarget:
        customer = values.get("customer") or values.get("customer_by_name")
        return services.task_target_add(user=ctx.user, task=self.task, customer=customer)
