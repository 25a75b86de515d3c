"""REST API under ``/api/v1/processes/`` — the external interface other systems (e.g. a work-order
system) use to start processes and receive dispatched work:

- ``instances/`` list / detail (scope: starter's org unit and starter, plus participants);
  ``POST`` ``{definition_code, business_key, data, title, snapshot}`` starts an instance;
  ``instances/{id}/withdraw/`` (the submitter);
- ``tasks/`` list / detail (``?mine=todo`` / ``?mine=done`` for the caller's to-do / done);
  ``tasks/{id}/complete/`` ``{action: approve|reject, opinion, target_node, version}``.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from kam.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet, service_errors

from . import services
from .models import MODULE, HumanTask, ProcessInstance, TaskEvent, TaskStatus
from .selectors import INSTANCE_LIST_DEFER, TASK_LIST_DEFER, instances_visible, tasks_visible


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)
    target = serializers.CharField(source="target.username", default=None, read_only=True)
    action_display = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = TaskEvent
        fields = ["id", "action", "action_display", "node_id", "node_name", "actor", "target", "opinion", "at"]


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


class InstanceViewSet(ScopedModelViewSet):
    queryset = ProcessInstance.objects.select_related("version__definition", "starter")
    serializer_class = InstanceSerializer
    module = MODULE
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["status", "business_key"]
    ordering_fields = ["started_at", "ended_at"]
    action_permissions = {"withdraw": "view"}

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
    action = serializers.ChoiceField(choices=["approve", "reject"])
    opinion = serializers.CharField(required=False, allow_blank=True, default="")
    target_node = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class TaskViewSet(ScopedReadOnlyViewSet):
    queryset = HumanTask.objects.select_related("instance__version__definition", "instance__starter", "assignee")
    serializer_class = TaskSerializer
    module = MODULE
    filterset_fields = ["status", "node_id"]
    ordering_fields = ["created_at", "due_at", "completed_at"]
    action_permissions = {"complete": "view"}

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
        return qs

    @extend_schema(request=TaskCompleteSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        serializer = TaskCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        task = self.get_object()
        with service_errors():
            task = services.task_complete(user=request.user, task=task, action=data["action"],
                                          opinion=data["opinion"], target_node=data["target_node"] or None,
                                          expected_version=data["version"])
        return Response(TaskSerializer(HumanTask.objects.get(pk=task.pk)).data)


def router_register(router) -> None:
    router.register("processes/instances", InstanceViewSet, basename="processes-instance")
    router.register("processes/tasks", TaskViewSet, basename="processes-task")
