"""REST API of the system app under ``/api/v1/system/``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kam.api.fields import ScopedPrimaryKeyRelatedField
from kam.api.permissions import Authenticated
from kam.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet, ScopedViewSetMixin, service_errors
from kam.core.registry import ACTION_CHANGE, ACTION_VIEW

from . import services
from .filtersets import (
    AnnouncementFilterSet,
    DictTypeFilterSet,
    DictValueFilterSet,
    LoginLogFilterSet,
    OperationLogFilterSet,
    ParameterFilterSet,
    UserSessionFilterSet,
)
from .middleware import operation
from .models import Announcement, DictType, DictValue, LoginLog, OperationLog, Parameter, UserSession
from .params import parse_value
from .selectors import announcements_for, live_only

# ---------------------------------------------------------------------------------------------
# Serializers


class DictTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = DictType
        fields = ["id", "code", "name", "enabled", "builtin", "remark", "created_at"]
        read_only_fields = ["builtin", "created_at"]


class DictValueSerializer(serializers.ModelSerializer):
    dict_type = ScopedPrimaryKeyRelatedField(queryset=DictType.objects.all(), scope_action="change")
    type_code = serializers.CharField(source="dict_type.code", read_only=True)

    class Meta:
        model = DictValue
        fields = ["id", "dict_type", "type_code", "value", "label", "sort_order", "tag_colour", "css_class",
                  "is_default", "enabled", "remark"]
        validators: list = []  # the service checks uniqueness and keeps one default per type


class ParameterSerializer(serializers.ModelSerializer):
    typed_value = serializers.SerializerMethodField()

    class Meta:
        model = Parameter
        fields = ["id", "key", "name", "value", "value_type", "typed_value", "remark", "builtin", "updated_at"]
        read_only_fields = ["builtin", "updated_at"]

    @extend_schema_field(OpenApiTypes.ANY)
    def get_typed_value(self, obj: Parameter) -> Any:
        try:
            value = parse_value(obj.value_type, obj.value)
        except Exception:
            return None
        return value if isinstance(value, bool | int | str) else str(value)  # decimals and dates as text


class ParameterUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Parameter
        fields = ["id", "key", "name", "value", "value_type", "remark", "builtin", "updated_at"]
        read_only_fields = ["key", "value_type", "builtin", "updated_at"]


class AnnouncementSerializer(serializers.ModelSerializer):
    created_by_name = serializers.CharField(source="created_by.name", read_only=True, default=None)

    class Meta:
        model = Announcement
        fields = ["id", "title", "kind", "content", "status", "publish_at", "expire_at", "for_all", "units",
                  "org_unit", "created_by", "created_by_name", "created_at", "updated_at"]
        read_only_fields = ["status", "org_unit", "created_by", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kam.org.models import OrgUnit

        self.fields["units"] = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), many=True,
                                                            required=False)


class OperationLogSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    result_label = serializers.CharField(source="get_result_display", read_only=True)

    class Meta:
        model = OperationLog
        fields = ["id", "module", "action", "action_label", "description", "user", "username", "org_unit", "ip",
                  "method", "url", "created_at", "duration_ms", "status_code", "result", "result_label",
                  "error_message"]


class LoginLogSerializer(serializers.ModelSerializer):
    result_label = serializers.CharField(source="get_result_display", read_only=True)

    class Meta:
        model = LoginLog
        fields = ["id", "username", "user", "org_unit", "ip", "browser", "os", "created_at", "result",
                  "result_label", "message"]


class UserSessionSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)
    org_unit_name = serializers.CharField(source="user.org_unit.name", read_only=True, default=None)

    class Meta:
        model = UserSession
        fields = ["id", "user", "username", "name", "org_unit_name", "ip", "browser", "os", "login_at",
                  "last_activity"]


class ForceLogoutSerializer(serializers.Serializer):
    revoke_tokens = serializers.BooleanField(default=False, help_text=_("Also delete the user's API tokens"))


# ---------------------------------------------------------------------------------------------
# Viewsets


class DictTypeViewSet(ScopedModelViewSet):
    """字典类型."""

    queryset = DictType.objects.all()
    serializer_class = DictTypeSerializer
    filterset_class = DictTypeFilterSet
    ordering_fields = ["code", "name", "created_at"]
    module = "dictionaries"

    def create_object(self, data):
        return services.dict_type_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.dict_type_update(actor=self.request.user, dict_type=instance, **data)

    def delete_object(self, instance):
        services.dict_type_delete(actor=self.request.user, dict_type=instance)


class DictValueViewSet(ScopedModelViewSet):
    """字典数据."""

    queryset = DictValue.objects.select_related("dict_type")
    serializer_class = DictValueSerializer
    filterset_class = DictValueFilterSet
    ordering_fields = ["sort_order", "value", "label"]
    module = "dictionaries"

    def create_object(self, data):
        return services.dict_value_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.dict_value_update(actor=self.request.user, item=instance, **data)

    def delete_object(self, instance):
        services.dict_value_delete(actor=self.request.user, item=instance)


class ParameterViewSet(ScopedModelViewSet):
    """参数设置: values are checked against the parameter's type."""

    queryset = Parameter.objects.all()
    serializer_class = ParameterSerializer
    filterset_class = ParameterFilterSet
    ordering_fields = ["key", "name", "updated_at"]
    module = "parameters"

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return ParameterUpdateSerializer
        return ParameterSerializer

    def create_object(self, data):
        return services.parameter_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.parameter_update(actor=self.request.user, parameter=instance,
                                         value=data.get("value", instance.value), name=data.get("name"),
                                         remark=data.get("remark"))

    def delete_object(self, instance):
        services.parameter_delete(actor=self.request.user, parameter=instance)


class AnnouncementViewSet(ScopedModelViewSet):
    """通知公告. ``current/`` lists what the caller's home page shows, for everyone."""

    queryset = Announcement.objects.select_related("created_by").prefetch_related("units")
    serializer_class = AnnouncementSerializer
    filterset_class = AnnouncementFilterSet
    ordering_fields = ["publish_at", "created_at", "title"]
    module = "announcements"
    action_permissions = {"publish": ACTION_CHANGE, "withdraw": ACTION_CHANGE, "current": ACTION_VIEW}

    def get_permissions(self):
        if self.action == "current":
            return [Authenticated()]
        return super().get_permissions()

    def create_object(self, data):
        return services.announcement_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.announcement_update(actor=self.request.user, announcement=instance, **data)

    def delete_object(self, instance):
        services.announcement_delete(actor=self.request.user, announcement=instance)

    @extend_schema(request=None, responses=AnnouncementSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        with service_errors():
            item = services.announcement_publish(actor=request.user, announcement=self.get_object())
        return Response(self.get_serializer(item).data)

    @extend_schema(request=None, responses=AnnouncementSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        with service_errors():
            item = services.announcement_withdraw(actor=request.user, announcement=self.get_object())
        return Response(self.get_serializer(item).data)

    @extend_schema(responses=AnnouncementSerializer(many=True), filters=False)
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def current(self, request):
        rows = announcements_for(request.user, limit=50)
        return Response(self.get_serializer(rows, many=True).data)


class OperationLogViewSet(ScopedReadOnlyViewSet):
    """操作日志 (read-only)."""

    queryset = OperationLog.objects.all()
    serializer_class = OperationLogSerializer
    filterset_class = OperationLogFilterSet
    ordering_fields = ["created_at", "duration_ms", "username"]
    module = "operation_log"


class LoginLogViewSet(ScopedReadOnlyViewSet):
    """登录日志 (read-only)."""

    queryset = LoginLog.objects.all()
    serializer_class = LoginLogSerializer
    filterset_class = LoginLogFilterSet
    ordering_fields = ["created_at", "username"]
    module = "login_log"


class OnlineSessionViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           viewsets.GenericViewSet):
    """在线用户: live sessions; ``POST {id}/force-logout/`` ends one (强退)."""

    queryset = UserSession.objects.select_related("user", "user__org_unit")
    serializer_class = UserSessionSerializer
    filterset_class = UserSessionFilterSet
    ordering_fields = ["last_activity", "login_at"]
    module = "online_users"

    def get_queryset(self):
        return live_only(super().get_queryset())

    @extend_schema(request=ForceLogoutSerializer, responses={204: None})
    @operation("强退", module="online_users")
    @action(detail=True, methods=["post"], url_path="force-logout", filter_backends=[])
    def force_logout(self, request, pk=None):
        body = ForceLogoutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            services.session_force_logout(actor=request.user, user_session=self.get_object(),
                                          revoke_tokens=body.validated_data["revoke_tokens"], request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


def router_register(router) -> None:
    router.register("system/dict-types", DictTypeViewSet, basename="system-dict-type")
    router.register("system/dict-values", DictValueViewSet, basename="system-dict-value")
    router.register("system/parameters", ParameterViewSet, basename="system-parameter")
    router.register("system/announcements", AnnouncementViewSet, basename="system-announcement")
    router.register("system/operation-logs", OperationLogViewSet, basename="system-operation-log")
    router.register("system/login-logs", LoginLogViewSet, basename="system-login-log")
    router.register("system/online-sessions", OnlineSessionViewSet, basename="system-online-session")
