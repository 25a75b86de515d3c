"""REST API of 工作列表 under ``/api/v1/work/``:

- ``work/todo/`` the caller's task list (``?source=`` to filter); ``work/todo/dismiss/``
  ``{source, key}`` removes a line for good;
- ``work/todo-items/`` 领导交办 (scope of ``todo_items``): list / detail / create / update /
  delete; ``work/todo-items/{id}/done/`` marks one done (its assignee, or whoever may change it);
- ``work/subscriptions/`` 订阅 (``{source, lead_minutes}``); an event type whose module the caller
  may not query is refused (R-WORK-4);
- ``work/reminders/`` 提醒 fired by the scheduler; ``{id}/read/`` and ``read-all/``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kam.api.permissions import Authenticated
from kam.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet, service_errors
from kam.org.models import User

from . import services
from .models import ITEMS_MODULE, MODULE, Reminder, Subscription, TodoItem
from .selectors import source_label, todo_list


class TodoLineSerializer(serializers.Serializer):
    source = serializers.CharField()
    source_label = serializers.CharField()
    key = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    subscribed = serializers.BooleanField()


class TodoListSerializer(serializers.Serializer):
    today = serializers.IntegerField()
    overdue = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    results = TodoLineSerializer(many=True)


class DismissSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=40)
    key = serializers.CharField(max_length=100)


class TodoViewSet(viewsets.ViewSet):
    """The caller's task list: every logged-in user has one; each source needs ``view`` on its module."""

    permission_classes = [Authenticated]

    @extend_schema(parameters=[OpenApiParameter("source", str, description="a source code")],
                   responses=TodoListSerializer)
    def list(self, request):
        todo = todo_list(request.user, source=request.query_params.get("source") or None)
        rows = [{"source": line.source, "source_label": line.source_label, "key": line.key, "title": line.title,
                 "detail": line.detail, "url": line.url, "due_at": line.due_at, "overdue": line.overdue,
                 "subscribed": line.subscribed} for line in todo.lines]
        return Response(TodoListSerializer({"today": todo.today_count, "overdue": todo.overdue_count,
                                            "counts": todo.counts, "results": rows}).data)

    @extend_schema(request=DismissSerializer, responses={204: None})
    @action(detail=False, methods=["post"])
    def dismiss(self, request):
        serializer = DismissSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            services.todo_dismiss(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TodoItemSerializer(serializers.ModelSerializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    assignee_name = serializers.CharField(source="assignee.name", read_only=True)
    assigned_by = serializers.CharField(source="assigned_by.username", default=None, read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = TodoItem
        fields = ["id", "assignee", "assignee_name", "assigned_by", "title", "detail", "due_at", "done", "done_at",
                  "overdue", "created_at"]
        read_only_fields = ["done", "done_at", "created_at"]
        extra_kwargs = {"due_at": {"required": True, "allow_null": False}}


class TodoItemUpdateSerializer(TodoItemSerializer):
    class Meta(TodoItemSerializer.Meta):
        read_only_fields = ["assignee", "done", "done_at", "created_at"]


class TodoItemViewSet(ScopedModelViewSet):
    queryset = TodoItem.objects.select_related("assignee", "assigned_by")
    serializer_class = TodoItemSerializer
    module = ITEMS_MODULE
    filterset_fields = ["done", "assignee"]
    ordering_fields = ["due_at", "created_at"]
    action_permissions = {"done": "view"}

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return TodoItemUpdateSerializer
        return TodoItemSerializer

    def create_object(self, data):
        return services.todo_item_create(user=self.request.user, **data)

    def update_object(self, instance, data):
        merged = {"title": instance.title, "detail": instance.detail, "due_at": instance.due_at, **data}
        merged.pop("assignee", None)
        return services.todo_item_update(user=self.request.user, item=instance, **merged)

    def delete_object(self, instance):
        services.todo_item_delete(user=self.request.user, item=instance)

    @extend_schema(request=None, responses=TodoItemSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        item = self.get_object()
        with service_errors():
            item = services.todo_item_done(user=request.user, item=item)
        return Response(TodoItemSerializer(item).data)


class SubscriptionSerializer(serializers.ModelSerializer):
    source_label = serializers.SerializerMethodField()
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "user", "source", "source_label", "lead_minutes", "created_at"]
        read_only_fields = ["created_at"]

    def get_source_label(self, obj) -> str:
        return source_label(obj.source)


class SubscriptionUpdateSerializer(SubscriptionSerializer):
    class Meta(SubscriptionSerializer.Meta):
        read_only_fields = ["source", "created_at"]


class SubscriptionViewSet(ScopedModelViewSet):
    queryset = Subscription.objects.select_related("user")
    serializer_class = SubscriptionSerializer
    module = MODULE
    filterset_fields = ["source"]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return SubscriptionUpdateSerializer
        return SubscriptionSerializer

    def create_object(self, data):
        return services.subscription_create(user=self.request.user, **data)

    def update_object(self, instance, data):
        return services.subscription_update(user=self.request.user, subscription=instance,
                                            lead_minutes=data.get("lead_minutes", instance.lead_minutes))

    def delete_object(self, instance):
        services.subscription_delete(user=self.request.user, subscription=instance)


class ReminderSerializer(serializers.ModelSerializer):
    source_label = serializers.SerializerMethodField()
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Reminder
        fields = ["id", "user", "source", "source_label", "key", "title", "url", "due_at", "remind_at",
                  "subscribed", "fired_at", "read_at"]
        read_only_fields = fields

    def get_source_label(self, obj) -> str:
        return source_label(obj.source)


class ReminderViewSet(ScopedReadOnlyViewSet):
    queryset = Reminder.objects.select_related("user").filter(fired_at__isnull=False)
    serializer_class = ReminderSerializer
    module = MODULE
    filterset_fields = ["source", "subscribed"]
    ordering_fields = ["remind_at", "due_at"]
    action_permissions = {"read": "view", "read_all": "view"}

    def get_queryset(self):
        qs = super().get_queryset()
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=None, responses=ReminderSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        reminder = self.get_object()
        reminder = services.reminder_read(user=request.user, reminder=reminder)
        return Response(ReminderSerializer(reminder).data)

    @extend_schema(request=None, responses={200: inline_serializer(
        "RemindersReadAll", {"read": serializers.IntegerField(help_text="how many reminders were marked read")})})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"read": services.reminders_read_all(user=request.user)})


def router_register(router) -> None:
    router.register("work/todo", TodoViewSet, basename="work-todo")
    router.register("work/todo-items", TodoItemViewSet, basename="work-todo-item")
    router.register("work/subscriptions", SubscriptionViewSet, basename="work-subscription")
    router.register("work/reminders", ReminderViewSet, basename="work-reminder")

