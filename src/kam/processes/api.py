"""REST API under ``/api/v1/processes/`` — the external interface other systems (e.g. a work-order
system) use to start processes and receive dispatched work:

- ``instances/`` list / detail (scope: starter's org unit and starter, plus participants);
  ``POST`` ``{definition_code, business_key, data, title, snapshot}`` starts an instance;
  ``instances/{id}/withdraw/`` and ``instances/{id}/urge/`` (催办, the submitter);
  ``instances/{id}/message/`` ``{name, data}`` delivers a message to a waiting instance
  (intermediate message catch event / receive task); ``instances/message/``
  ``{name, data, business_key}`` finds the running instance by business key;
- ``tasks/`` list / detail (``?mine=todo`` / ``claimable`` / ``claimed`` / ``done`` for the caller's
  to-do, pool tasks to claim, claimed and done tasks);
  ``tasks/{id}/complete/`` ``{action: approve|reject|send_back, opinion, target_node, version}``
  (驳回 = reject: to the submitter, or to ``target_node``; 退回 = send_back: one step back);
  ``tasks/{id}/claim/`` and ``tasks/{id}/release/`` (pool tasks);
- ``instances/{id}/reroute/`` ``{reason, target_node, to_user}`` (疏导, process administrators);
- ``stats/`` per-step statistics for a period (流程监控).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kam.api.permissions import ModulePermission
from kam.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet, service_errors
from kam.core import clock
from kam.org.models import User

from . import services
from .models import MODULE, HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance, TaskEvent, TaskStatus
from .selectors import (
    INSTANCE_LIST_DEFER,
    TASK_LIST_DEFER,
    instances_visible,
    node_statistics,
    tasks_claimable,
    tasks_claimed,
    tasks_visible,
)


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)
    target = serializers.CharField(source="target.username", default=None, read_only=True)
    action_display = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = TaskEvent
        fields = ["id", "action", "action_display", "node_id", "node_name", "actor", "target", "opinion", "data", "at"]


class InstanceSerializer(serializers.ModelSerializer):
    definition_code = serializers.CharField(source="version.definition.code", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    starter = serializers.CharField(source="starter.username", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ProcessInstance
        fields = ["id", "definition_code", "version_number", "business_key", "title", "data", "status",
                  "status_display", "starter", "starter_unit", "started_at", "ended_at", "current_nodes"]
        read_only_fields = fields


class InstanceDetailSerializer(InstanceSerializer):
    events = EventSerializer(many=True, read_only=True)

    class Meta(InstanceSerializer.Meta):
        fields = [*InstanceSerializer.Meta.fields, "events"]
        read_only_fields = fields


class InstanceStartSerializer(serializers.Serializer):
    definition_code = serializers.CharField(max_length=60)
    business_key = serializers.CharField(max_length=100)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    data = serializers.DictField(required=False, default=dict)
    snapshot = serializers.DictField(required=False, allow_null=True, default=None)


class MessageSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    data = serializers.DictField(required=False, default=dict)
    business_key = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class RerouteSerializer(serializers.Serializer):
    reason = serializers.CharField()
    target_node = serializers.CharField(required=False, allow_blank=True, default="")
    to_user = serializers.CharField(required=False, allow_blank=True, default="", help_text="Account number.")


class UrgeResultSerializer(serializers.Serializer):
    urged = serializers.IntegerField(help_text="How many open tasks were urged.")


class InstanceViewSet(ScopedModelViewSet):
    queryset = ProcessInstance.objects.select_related("version__definition", "starter")
    serializer_class = InstanceSerializer
    module = MODULE
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["status", "business_key"]
    ordering_fields = ["started_at", "ended_at"]
    action_permissions = {"withdraw": "view", "urge": "view", "message": "view", "message_by_key": "view",
                          "reroute": "view"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProcessInstance.objects.none()
        return instances_visible(self.request.user).select_related("version__definition", "starter").defer(
            *INSTANCE_LIST_DEFER)

    def get_serializer_class(self):
        if self.action == "create":
            return InstanceStartSerializer
        if self.action == "retrieve":
            return InstanceDetailSerializer
        return InstanceSerializer

    @extend_schema(request=InstanceStartSerializer, responses=InstanceSerializer)
    def create(self, request, *args, **kwargs):
        serializer = InstanceStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            instance = services.instance_start(user=request.user, **serializer.validated_data)
        return Response(InstanceSerializer(instance).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InstanceSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        with service_errors():
            instance = services.instance_withdraw(user=request.user, instance=self.get_object(),
                                                  opinion=str(request.data.get("opinion", "")))
        return Response(InstanceSerializer(instance).data)

    @extend_schema(request=MessageSerializer, responses=InstanceSerializer)
    @action(detail=True, methods=["post"])
    def message(self, request, pk=None):
        """Send message ``name`` with ``data`` to this waiting instance (message catch / receive task)."""
        serializer = MessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            instance = services.instance_message(user=request.user, name=serializer.validated_data["name"],
                                                 data=serializer.validated_data["data"], instance=self.get_object())
        return Response(InstanceSerializer(ProcessInstance.objects.get(pk=instance.pk)).data)

    @extend_schema(request=MessageSerializer, responses=InstanceSerializer,
                   operation_id="processes_instances_message_by_business_key")
    @action(detail=False, methods=["post"], url_path="message")
    def message_by_key(self, request):
        """Send message ``name`` to the running instance with ``business_key`` that waits for it."""
        serializer = MessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = serializer.validated_data.get("business_key") or ""
        if not key:
            raise serializers.ValidationError({"business_key": [_("Give the business key.")]})
        candidates = self.get_queryset().filter(business_key=key, status=InstanceStatus.RUNNING).order_by("id")
        with service_errors():
            instance = services.instance_message(user=request.user, name=serializer.validated_data["name"],
                                                 data=serializer.validated_data["data"], candidates=candidates)
        return Response(InstanceSerializer(ProcessInstance.objects.get(pk=instance.pk)).data)

    @extend_schema(request=RerouteSerializer, responses=InstanceSerializer)
    @action(detail=True, methods=["post"])
    def reroute(self, request, pk=None):
        """疏导 (process administrators): move to a passed step and/or re-assign the open task."""
        serializer = RerouteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        to_user = None
        if data["to_user"]:
            to_user = User.objects.filter(username=data["to_user"], is_active=True).first()
            if to_user is None:
                raise serializers.ValidationError({"to_user": [_("No active user with this account number.")]})
        with service_errors():
            instance = services.instance_reroute(user=request.user, instance=self.get_object(), reason=data["reason"],
                                                 target_node=data["target_node"], to_user=to_user)
        return Response(InstanceSerializer(ProcessInstance.objects.get(pk=instance.pk)).data)

    @extend_schema(request=None, responses=UrgeResultSerializer)
    @action(detail=True, methods=["post"])
    def urge(self, request, pk=None):
        with service_errors():
            count = services.instance_urge(user=request.user, instance=self.get_object())
        return Response({"urged": count})


@extend_schema_serializer(component_name="ProcessTask")
class TaskSerializer(serializers.ModelSerializer):
    instance = InstanceSerializer(read_only=True)
    assignee = serializers.CharField(source="assignee.username", default=None, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = HumanTask
        fields = ["id", "instance", "node_id", "node_name", "assignee", "status", "status_display", "due_at",
                  "escalated", "created_at", "completed_at", "outcome", "opinion", "version"]
        read_only_fields = fields


class TaskCompleteSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["approve", "reject", "send_back"])
    opinion = serializers.CharField(required=False, allow_blank=True, default="")
    target_node = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, allow_null=True, default=None)
    data = serializers.DictField(required=False, default=dict,
                                 help_text="Values of the step's fields (node configuration `fields`), by name.")


class TaskViewSet(ScopedReadOnlyViewSet):
    queryset = HumanTask.objects.select_related("instance__version__definition", "instance__starter", "assignee")
    serializer_class = TaskSerializer
    module = MODULE
    filterset_fields = ["status", "node_id"]
    ordering_fields = ["created_at", "due_at", "completed_at"]
    action_permissions = {"complete": "view", "claim": "view", "release": "view"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return HumanTask.objects.none()
        qs = tasks_visible(self.request.user).select_related(
            "instance__version__definition", "instance__starter", "assignee").defer(*TASK_LIST_DEFER)
        mine = self.request.query_params.get("mine")
        if mine == "todo":
            qs = qs.filter(assignee_id=self.request.user.pk, status__in=(TaskStatus.OPEN, TaskStatus.CLAIMED))
        elif mine == "done":
            qs = qs.filter(assignee_id=self.request.user.pk, status=TaskStatus.DONE)
        elif mine == "claimable":
            qs = qs.filter(pk__in=tasks_claimable(self.request.user).values("pk"))
        elif mine == "claimed":
            qs = qs.filter(pk__in=tasks_claimed(self.request.user).values("pk"))
        return qs

    @extend_schema(request=TaskCompleteSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        serializer = TaskCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        task = self.get_object()
        with service_errors():
            if data["action"] == "send_back":
                task = services.task_send_back(user=request.user, task=task, opinion=data["opinion"],
                                               expected_version=data["version"])
            else:
                task = services.task_complete(user=request.user, task=task, action=data["action"],
                                              opinion=data["opinion"], target_node=data["target_node"] or None,
                                              expected_version=data["version"], data=data["data"])
        return Response(TaskSerializer(HumanTask.objects.get(pk=task.pk)).data)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        with service_errors():
            task = services.task_claim(user=request.user, task=self.get_object())
        return Response(TaskSerializer(HumanTask.objects.get(pk=task.pk)).data)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        with service_errors():
            task = services.task_release(user=request.user, task=self.get_object(),
                                         opinion=str(request.data.get("opinion", "")))
        return Response(TaskSerializer(HumanTask.objects.get(pk=task.pk)).data)


class NodeStatsSerializer(serializers.Serializer):
    process = serializers.CharField()
    node_id = serializers.CharField()
    node_name = serializers.CharField()
    tasks = serializers.IntegerField()
    done = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    avg_hours = serializers.FloatField(allow_null=True)


class NodeStatsQuerySerializer(serializers.Serializer):
    definition = serializers.CharField(required=False, allow_blank=True, default="", help_text="Process code.")
    start = serializers.DateField(required=False, allow_null=True, default=None)
    end = serializers.DateField(required=False, allow_null=True, default=None)


class NodeStatsViewSet(viewsets.ViewSet):
    """流程监控: per-step counts, average handling hours and overdue counts for a period
    (``?definition=<code>&start=YYYY-MM-DD&end=YYYY-MM-DD``; default the current month)."""

    permission_classes = [ModulePermission]
    module = MODULE
    analyse_actions = ("list",)

    @extend_schema(parameters=[NodeStatsQuerySerializer], responses=NodeStatsSerializer(many=True))
    def list(self, request):
        query = NodeStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        today = clock.today()
        definition_id = None
        if params["definition"]:
            definition_id = ProcessDefinition.objects.filter(code=params["definition"]).values_list(
                "pk", flat=True).first() or -1
        rows = node_statistics(request.user, start=params["start"] or today.replace(day=1),
                               end=params["end"] or today, definition_id=definition_id)
        return Response(NodeStatsSerializer(rows, many=True).data)


def router_register(router) -> None:
    router.register("processes/instances", InstanceViewSet, basename="processes-instance")
    router.register("processes/tasks", TaskViewSet, basename="processes-task")
    router.register("processes/stats", NodeStatsViewSet, basename="processes-stats")
