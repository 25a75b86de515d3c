"""REST API of 工作管理 under ``/api/v1/work/``: tasks (任务) and their generation, work items
(工作制定, 注销, 外呼, execution), execution records, do-not-disturb windows (免打扰), appointments
(预约) and the call bar's check-in (签入). Same rules and scopes as the pages: every queryset starts
from ``.restrict(request.user, action)`` and writes go through ``kam.work.services``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from kam.api.fields import ScopedPrimaryKeyRelatedField
from kam.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet, service_errors
from kam.customers.models import Customer
from kam.org.models import User

from . import services
from .filtersets import (
    AppointmentFilterSet,
    CallSessionFilterSet,
    DndFilterSet,
    ExecutionFilterSet,
    TaskFilterSet,
    WorkItemFilterSet,
)
from .models import SUB_RESULTS, Appointment, Branch, CallSession, DoNotDisturb, Execution, Task, TaskSkip, WorkItem

# --- tasks -------------------------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    criteria = serializers.JSONField(required=False, help_text=_(
        "Customer filter: industry, level, org_unit (id, with the units below), manager (user id), q (text)."))
    customers = serializers.ListField(child=serializers.IntegerField(), required=False, write_only=True,
                                      help_text=_("An explicit customer list (ids) instead of the filter."))
    customer_file = serializers.FileField(required=False, write_only=True, help_text=_(
        "An Excel customer list (the template of the import “work.task_customers”) instead of the filter; "
        "multipart. On any row error nothing is saved and the errors name row and column."))

    class Meta:
        model = Task
        fields = ["id", "name", "channel", "description", "start_on", "due_on", "dnd_policy", "criteria",
                  "customers", "customer_file", "imported", "status", "generated_count", "skipped_count",
                  "deferred_count", "no_manager_count",
                  "message", "job_id", "org_unit", "created_by", "created_at", "generated_at", "closed_at",
                  "closed_by"]
        read_only_fields = ["imported", "status", "generated_count", "skipped_count", "deferred_count",
                            "no_manager_count", "message", "job_id", "org_unit", "created_by", "created_at",
                            "generated_at", "closed_at", "closed_by"]


class TaskSkipSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = TaskSkip
        fields = ["id", "customer", "customer_name", "outcome", "until"]


class TaskViewSet(ScopedModelViewSet):
    """任务管理: a campaign generating one work item per customer (R-WORK-3 for DND customers).
    PATCH edits it (name and content always; work type, dates and DND choice before generation),
    ``close`` closes it (its open work items are cancelled: 任务关闭), DELETE removes a task without
    work items."""

    queryset = Task.objects.select_related("created_by")
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet
    module = "work_tasks"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create_object(self, data: dict[str, Any]) -> Task:
        customers = data.pop("customers", None)
        upload = data.pop("customer_file", None)
        task = services.task_create(user=self.request.user, customer_ids=customers,
                                    customer_file=upload.read() if upload else None, **data)
        services.task_start_generation(user=self.request.user, task=task)
        task.refresh_from_db()
        return task

    def update_object(self, instance: Task, data: dict[str, Any]) -> Task:
        if {"criteria", "customers", "customer_file"} & set(data):
            from django.core.exceptions import ValidationError

            raise ValidationError({"criteria": _("The customers of a task cannot change once it is made.")})
        return services.task_update(user=self.request.user, task=instance, **data)

    def delete_object(self, instance: Task) -> None:
        services.task_delete(user=self.request.user, task=instance)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """关闭: the task ends; its open work items are cancelled with the reason 任务关闭."""
        task = self.get_object()
        with service_errors():
            services.task_close(user=request.user, task=task)
        task.refresh_from_db()
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def generate(self, request, pk=None):
        """Generate (again, after a failure) the task's work items."""
        task = self.get_object()
        with service_errors():
            if task.status not in ("pending", "failed"):
                from django.core.exceptions import ValidationError

                raise ValidationError({"status": _("The work items of this task have been generated already.")})
            services.task_start_generation(user=request.user, task=task)
        task.refresh_from_db()
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)

    @extend_schema(responses=TaskSkipSerializer(many=True))
    @action(detail=True, methods=["get"])
    def skips(self, request, pk=None):
        """The customers the generation skipped or deferred, and why."""
        task = self.get_object()
        rows = task.skips.select_related("customer").order_by("pk")[:5000]
        return Response(TaskSkipSerializer(rows, many=True).data)


# --- work items --------------------------------------------------------------------------------------


class WorkItemSerializer(serializers.ModelSerializer):
    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all())
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False,
                                                 help_text=_("Default: yourself."))
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    manager_name = serializers.CharField(source="manager.name", read_only=True)

    class Meta:
        model = WorkItem
        fields = ["id", "task", "source", "channel", "title", "content", "customer", "customer_name", "manager",
                  "manager_name", "org_unit", "planned_at", "due_at", "state", "result", "attempts", "deferred",
                  "completed_at", "cancel_reason", "created_by", "created_at"]
        read_only_fields = ["task", "source", "org_unit", "state", "result", "attempts", "deferred", "completed_at",
                            "cancel_reason", "created_by", "created_at"]
        extra_kwargs = {"planned_at": {"required": False}}


class CancelSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    reason = serializers.CharField(max_length=500)


class ExecuteSerializer(serializers.Serializer):
    branch = serializers.ChoiceField(choices=Branch.choices)
    sub_result = serializers.ChoiceField(choices=[c for subs in SUB_RESULTS.values() for c, _label in subs])
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class AppointSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DialSerializer(serializers.Serializer):
    phone = serializers.CharField()


class ExecutionSerializer(serializers.ModelSerializer):
    sub_result_label = serializers.CharField(read_only=True)
    branch_label = serializers.CharField(read_only=True)

    class Meta:
        model = Execution
        fields = ["id", "work_item", "channel", "branch", "branch_label", "sub_result", "sub_result_label", "result",
                  "notes", "executed_by", "executed_at", "session"]


class AppointmentSerializer(serializers.ModelSerializer):
    work_item = ScopedPrimaryKeyRelatedField(queryset=WorkItem.objects.all(), scope_action="change")

    class Meta:
        model = Appointment
        fields = ["id", "work_item", "at", "note", "done", "created_by", "created_at"]
        read_only_fields = ["done", "created_by", "created_at"]


class WorkItemViewSet(ScopedModelViewSet):
    """工作: list (filter state=open for 未完成工作, done/cancelled for 已完成工作), make by hand, cancel,
    dial, execute (R-WORK-1, R-WORK-2, R-WORK-3), appoint."""

    queryset = WorkItem.objects.select_related("customer", "manager")
    serializer_class = WorkItemSerializer
    filterset_class = WorkItemFilterSet
    ordering_fields = ["due_at", "planned_at", "completed_at", "created_at"]
    module = "work"
    http_method_names = ["get", "post", "head", "options"]

    def create_object(self, data: dict[str, Any]) -> WorkItem:
        return services.work_item_create(user=self.request.user, **data)

    @extend_schema(request=CancelSerializer, responses={200: None})
    @action(detail=False, methods=["post"])
    def cancel(self, request):
        """注销: cancel several open work items with a reason."""
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        items = list(WorkItem.objects.filter(pk__in=body.validated_data["ids"]))
        with service_errors():
            n = services.work_items_cancel(user=request.user, items=items, reason=body.validated_data["reason"])
        return Response({"cancelled": n})

    @extend_schema(request=None, responses=DialSerializer)
    @action(detail=True, methods=["post"])
    def dial(self, request, pk=None):
        """外呼: needs a check-in (R-WORK-1) and no do-not-disturb window (R-WORK-3)."""
        item = self.get_object()
        with service_errors():
            phone = services.work_item_dial(user=request.user, item=item)
        return Response({"phone": phone})

    @extend_schema(request=ExecuteSerializer, responses=ExecutionSerializer)
    @action(detail=True, methods=["post"])
    def execute(self, request, pk=None):
        """Record a call or visit: branch and sub-result decide the result (R-WORK-2)."""
        item = self.get_object()
        body = ExecuteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            execution = services.work_item_execute(user=request.user, item=item, **body.validated_data)
        return Response(ExecutionSerializer(execution).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AppointSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def appoint(self, request, pk=None):
        """预约: call or visit again at a time; the item comes back on the task list then."""
        item = self.get_object()
        body = AppointSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            appointment = services.appointment_make(user=request.user, item=item, **body.validated_data)
        return Response(AppointmentSerializer(appointment, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


class ExecutionViewSet(ScopedReadOnlyViewSet):
    """执行记录 (已完成工作查询's details)."""

    queryset = Execution.objects.select_related("work_item")
    serializer_class = ExecutionSerializer
    filterset_class = ExecutionFilterSet
    module = "work"


# --- do not disturb, appointments, check-in ------------------------------------------------------------


class DndSerializer(serializers.ModelSerializer):
    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all())
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = DoNotDisturb
        fields = ["id", "customer", "starts_at", "ends_at", "reason", "is_active", "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]


class DndViewSet(ScopedModelViewSet):
    """加入免打扰 (R-WORK-3)."""

    queryset = DoNotDisturb.objects.select_related("customer")
    serializer_class = DndSerializer
    filterset_class = DndFilterSet
    module = "work"
    http_method_names = ["get", "post", "delete", "head", "options"]

    def create_object(self, data: dict[str, Any]) -> DoNotDisturb:
        return services.dnd_add(user=self.request.user, **data)

    def delete_object(self, instance: DoNotDisturb) -> None:
        services.dnd_remove(user=self.request.user, window=instance)


class AppointmentViewSet(ScopedModelViewSet):
    """预约."""

    queryset = Appointment.objects.select_related("work_item")
    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilterSet
    module = "work"
    http_method_names = ["get", "post", "head", "options"]

    def create_object(self, data: dict[str, Any]) -> Appointment:
        return services.appointment_make(user=self.request.user, item=data["work_item"], at=data["at"],
                                         note=data.get("note", ""))


class CallSessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallSession
        fields = ["id", "user", "started_at", "ended_at"]
        read_only_fields = fields


class CheckinViewSet(ScopedModelViewSet):
    """签入 / 签出 of the call bar (R-WORK-1): POST checks in, ``checkout`` checks out."""

    queryset = CallSession.objects.all()
    serializer_class = CallSessionSerializer
    filterset_class = CallSessionFilterSet
    module = "work"
    http_method_names = ["get", "post", "head", "options"]

    def create_object(self, data: dict[str, Any]) -> CallSession:
        return services.checkin_start(user=self.request.user)

    @extend_schema(request=None, responses=CallSessionSerializer)
    @action(detail=False, methods=["post"])
    def checkout(self, request):
        session = services.checkin_end(user=request.user)
        if session is None:
            return Response({"detail": _("You are not checked in.")}, status=status.HTTP_400_BAD_REQUEST)
        return Response(CallSessionSerializer(session).data)


def router_register(router) -> None:
    router.register("work/tasks", TaskViewSet, basename="work-task")
    router.register("work/items", WorkItemViewSet, basename="work-item")
    router.register("work/executions", ExecutionViewSet, basename="work-execution")
    router.register("work/dnd", DndViewSet, basename="work-dnd")
    router.register("work/appointments", AppointmentViewSet, basename="work-appointment")
    router.register("work/checkin", CheckinViewSet, basename="work-checkin")
