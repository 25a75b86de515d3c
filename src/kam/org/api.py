"""REST API of the org app under ``/api/v1/org/``: units, users, roles, grants, business lines
and types, and the registered permission modules.

Every queryset starts from ``.restrict(request.user, action)`` (see ``kam.api.viewsets``); writes
go through ``kam.org.services``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kam.api.fields import ScopedPrimaryKeyRelatedField
from kam.api.permissions import Authenticated
from kam.api.viewsets import ScopedModelViewSet, service_errors
from kam.core.registry import MODULES, SUBSYSTEMS

from . import services
from .filtersets import (
    BusinessLineFilterSet,
    BusinessTypeFilterSet,
    GrantFilterSet,
    OrgUnitFilterSet,
    RoleFilterSet,
    UserFilterSet,
)
from .models import BusinessLine, BusinessType, Grant, OrgUnit, Role, User

# --- org units -------------------------------------------------------------------------------


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), allow_null=True, required=False)
    business_line = ScopedPrimaryKeyRelatedField(
        queryset=BusinessLine.objects.all(), allow_null=True, required=False
    )
    head = ScopedPrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, required=False)

    class Meta:
        model = OrgUnit
        fields = ["id", "name", "code", "parent", "kind", "level", "is_key_account_centre", "business_line",
                  "head", "phone", "sort_order", "enabled", "path", "depth"]
        read_only_fields = ["path", "depth"]


class OrgUnitMoveSerializer(serializers.Serializer):
    parent = ScopedPrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(), allow_null=True, scope_action="change",
        help_text=_("The new parent unit; null makes the unit a root."),
    )


class OrgUnitTreeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    kind = serializers.CharField()
    level = serializers.CharField()
    enabled = serializers.BooleanField()
    children = serializers.ListField(child=serializers.DictField(),
                                     help_text=_("Sub-units, each shaped like this node."))


class OrgUnitViewSet(ScopedModelViewSet):
    """组织管理: the organisation tree (R-PERM-1 scope over the materialised path)."""

    queryset = OrgUnit.objects.all()
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilterSet
    ordering_fields = ["path", "name", "code", "sort_order"]
    module = "org"

    def create_object(self, data: dict[str, Any]) -> OrgUnit:
        data.setdefault("parent", None)
        return services.org_unit_create(user=self.request.user, **data)

    def update_object(self, instance: OrgUnit, data: dict[str, Any]) -> OrgUnit:
        return services.org_unit_update(user=self.request.user, unit=instance, **data)

    def delete_object(self, instance: OrgUnit) -> None:
        services.org_unit_delete(user=self.request.user, unit=instance)

    @extend_schema(request=OrgUnitMoveSerializer, responses=OrgUnitSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the unit and its whole subtree under another parent."""
        unit = self.get_object()
        body = OrgUnitMoveSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        with service_errors():
            unit = services.org_unit_move(user=request.user, unit=unit, new_parent=body.validated_data["parent"])
        return Response(OrgUnitSerializer(unit, context=self.get_serializer_context()).data)

    @extend_schema(responses=OrgUnitTreeSerializer(many=True), filters=False)
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def tree(self, request):
        """The units the user may see as a tree; a unit whose parent is out of sight is a root."""
        units = list(self.get_queryset().order_by("path"))
        nodes = {u.pk: {"id": u.pk, "name": u.name, "code": u.code, "kind": u.kind, "level": u.level,
                        "enabled": u.enabled, "children": []} for u in units}
        roots = []
        for unit in units:
            parent = nodes.get(unit.parent_id)
            (parent["children"] if parent else roots).append(nodes[unit.pk])
        return Response(roots)

    @extend_schema(responses=OrgUnitSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def children(self, request, pk=None):
        """The direct sub-units of the unit that the user may see."""
        unit = self.get_object()
        rows = self.get_queryset().filter(parent=unit)
        return Response(OrgUnitSerializer(rows, many=True, context=self.get_serializer_context()).data)


# --- users -------------------------------------------------------------------------------------


class UserSerializer(serializers.ModelSerializer):
    org_unit = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all())
    superior = ScopedPrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, required=False)
    roles = ScopedPrimaryKeyRelatedField(queryset=Role.objects.all(), many=True, required=False)

    class Meta:
        model = User
        fields = ["id", "username", "name", "org_unit", "superior", "roles", "phone", "email", "is_active",
                  "must_change_password", "password_changed_at", "last_login", "date_joined"]
        read_only_fields = ["must_change_password", "password_changed_at", "last_login", "date_joined"]


class UserCreateSerializer(UserSerializer):
    password = serializers.CharField(
        write_only=True, style={"input_type": "password"},
        help_text=_("The one-time initial password; the user must change it at first login."),
    )

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "password"]

    def validate_password(self, value: str) -> str:
        from django.contrib.auth.password_validation import validate_password

        data = self.initial_data
        candidate = User(username=str(data.get("username", "")), name=str(data.get("name", "")))
        try:
            validate_password(value, user=candidate)
        except ValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc
        return value


class PasswordResetSerializer(serializers.Serializer):
    password = serializers.CharField(
        write_only=True, style={"input_type": "password"},
        help_text=_("The new one-time password; the user must change it at next login."),
    )

    def validate_password(self, value: str) -> str:
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(value, user=self.context.get("target"))
        except ValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc
        return value


class UserViewSet(ScopedModelViewSet):
    """用户管理: accounts, their unit, superior and roles."""

    queryset = User.objects.select_related("org_unit").prefetch_related("roles")
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    ordering_fields = ["username", "name", "date_joined", "last_login"]
    module = "users"

    def get_serializer_class(self):
        return UserCreateSerializer if self.action == "create" else UserSerializer

    def create_object(self, data: dict[str, Any]) -> User:
        return services.user_create(actor=self.request.user, **data)

    def update_object(self, instance: User, data: dict[str, Any]) -> User:
        return services.user_update(actor=self.request.user, user=instance, **data)

    def delete_object(self, instance: User) -> None:
        services.user_delete(actor=self.request.user, user=instance)

    @extend_schema(request=PasswordResetSerializer, responses=UserSerializer)
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request, pk=None):
        """Set a new one-time password (R-AUTH-1: to be changed at next login)."""
        user = self.get_object()
        body = PasswordResetSerializer(data=request.data, context={**self.get_serializer_context(), "target": user})
        body.is_valid(raise_exception=True)
        with service_errors():
            user = services.user_reset_password(actor=request.user, user=user, password=body.validated_data["password"])
        return Response(UserSerializer(user, context=self.get_serializer_context()).data)


# --- roles and grants --------------------------------------------------------------------------


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["id", "code", "name", "description", "builtin", "enabled", "sort_order"]
        read_only_fields = ["builtin"]


class RoleViewSet(ScopedModelViewSet):
    """角色管理: roles; the built-in roles cannot be deleted."""

    queryset = Role.objects.all()
    serializer_class = RoleSerializer
    filterset_class = RoleFilterSet
    ordering_fields = ["sort_order", "code", "name"]
    module = "roles"

    def create_object(self, data: dict[str, Any]) -> Role:
        return services.role_create(user=self.request.user, **data)

    def update_object(self, instance: Role, data: dict[str, Any]) -> Role:
        return services.role_update(user=self.request.user, role=instance, **data)

    def delete_object(self, instance: Role) -> None:
        services.role_delete(user=self.request.user, role=instance)


class GrantSerializer(serializers.ModelSerializer):
    role = ScopedPrimaryKeyRelatedField(queryset=Role.objects.all())
    custom_units = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), many=True, required=False)

    class Meta:
        model = Grant
        fields = ["id", "role", "module", "can_view", "can_change", "can_analyse", "scope", "custom_units",
                  "valid_from", "valid_to"]

    def validate(self, attrs):
        instance = self.instance
        if instance is not None:
            for field in ("role", "module"):
                if field in attrs and attrs[field] != getattr(instance, field):
                    raise serializers.ValidationError(
                        {field: _("The role and module of a grant cannot be changed; delete the grant and "
                                  "create a new one.")}
                    )
        return attrs


class GrantViewSet(ScopedModelViewSet):
    """权限: what a role may do in one module, over which data, and when (R-PERM-1)."""

    queryset = Grant.objects.select_related("role").prefetch_related("custom_units")
    serializer_class = GrantSerializer
    filterset_class = GrantFilterSet
    ordering_fields = ["role", "module"]
    module = "roles"

    _FIELDS = ("can_view", "can_change", "can_analyse", "scope", "valid_from", "valid_to")

    def create_object(self, data: dict[str, Any]) -> Grant:
        return services.grant_set(user=self.request.user, **data)

    def update_object(self, instance: Grant, data: dict[str, Any]) -> Grant:
        values = {f: data.get(f, getattr(instance, f)) for f in self._FIELDS}
        units = data.get("custom_units", list(instance.custom_units.all()))
        return services.grant_set(user=self.request.user, role=instance.role, module=instance.module,
                                  custom_units=units, **values)

    def delete_object(self, instance: Grant) -> None:
        services.grant_delete(user=self.request.user, grant=instance)


# --- business lines and types ------------------------------------------------------------------


class BusinessLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessLine
        fields = ["id", "code", "name", "sort_order", "enabled"]


class BusinessTypeSerializer(serializers.ModelSerializer):
    line = ScopedPrimaryKeyRelatedField(queryset=BusinessLine.objects.all())

    class Meta:
        model = BusinessType
        fields = ["id", "line", "code", "name", "sort_order", "enabled"]


class BusinessLineViewSet(ScopedModelViewSet):
    """专业类型: the business-line catalogue."""

    queryset = BusinessLine.objects.all()
    serializer_class = BusinessLineSerializer
    filterset_class = BusinessLineFilterSet
    ordering_fields = ["sort_order", "code", "name"]
    module = "business_lines"

    def create_object(self, data: dict[str, Any]) -> BusinessLine:
        return services.business_line_create(user=self.request.user, **data)

    def update_object(self, instance: BusinessLine, data: dict[str, Any]) -> BusinessLine:
        return services.business_line_update(user=self.request.user, line=instance, **data)

    def delete_object(self, instance: BusinessLine) -> None:
        services.business_line_delete(user=self.request.user, line=instance)


class BusinessTypeViewSet(ScopedModelViewSet):
    """业务类型: business types within a business line."""

    queryset = BusinessType.objects.select_related("line")
    serializer_class = BusinessTypeSerializer
    filterset_class = BusinessTypeFilterSet
    ordering_fields = ["sort_order", "code", "name"]
    module = "business_lines"

    def create_object(self, data: dict[str, Any]) -> BusinessType:
        return services.business_type_create(user=self.request.user, **data)

    def update_object(self, instance: BusinessType, data: dict[str, Any]) -> BusinessType:
        return services.business_type_update(user=self.request.user, business_type=instance, **data)

    def delete_object(self, instance: BusinessType) -> None:
        services.business_type_delete(user=self.request.user, business_type=instance)


# --- permission modules ------------------------------------------------------------------------


class ModuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    subsystem = serializers.CharField()
    subsystem_label = serializers.CharField()


class ModuleViewSet(viewsets.ViewSet):
    """The registered permission modules a grant can name, with their labels."""

    permission_classes = [Authenticated]

    @extend_schema(responses=ModuleSerializer(many=True))
    def list(self, request):
        rows = [
            {"code": m.code, "label": str(m.label), "subsystem": m.subsystem,
             "subsystem_label": str(SUBSYSTEMS[m.subsystem].label) if m.subsystem in SUBSYSTEMS else m.subsystem}
            for m in MODULES.values()
        ]
        return Response(rows)


def router_register(router) -> None:
    """Register the org app's viewsets with the API router (see ``kam.api.urls``)."""
    router.register("org/units", OrgUnitViewSet, basename="org-unit")
    router.register("org/users", UserViewSet, basename="org-user")
    router.register("org/roles", RoleViewSet, basename="org-role")
    router.register("org/grants", GrantViewSet, basename="org-grant")
    router.register("org/business-lines", BusinessLineViewSet, basename="org-business-line")
    router.register("org/business-types", BusinessTypeViewSet, basename="org-business-type")
    router.register("org/modules", ModuleViewSet, basename="org-module")
