"""REST API of the managers app under ``/api/v1/managers/``.

- ``managers/`` — profiles (CRUD; create may open the login at the same time), filters ``q``
  (name, account, employee number, phone), ``org_unit`` (and below), ``business_line``, ``status``;
  ``POST managers/{id}/disable/`` ``{"reason"}`` and ``POST managers/{id}/enable/``;
- ``managers/trainings/`` and ``managers/experiences/`` — training history and work experience.

Every queryset starts from ``.restrict(request.user, action)``; writes go through
``kam.managers.services``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kam.api.fields import ScopedPrimaryKeyRelatedField
from kam.api.viewsets import ScopedModelViewSet, ScopedViewSetMixin, service_errors
from kam.org.models import BusinessLine, OrgUnit, User

from . import services
from .filtersets import AccountManagerFilterSet, TrainingFilterSet, WorkExperienceFilterSet
from .models import AccountManager, Training, WorkExperience


class TrainingSerializer(serializers.ModelSerializer):
    manager = ScopedPrimaryKeyRelatedField(queryset=AccountManager.objects.all(), scope_action="change")

    class Meta:
        model = Training
        fields = ["id", "manager", "start_date", "end_date", "organiser", "course", "result"]


class TrainingRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = Training
        fields = ["start_date", "end_date", "organiser", "course", "result"]


class WorkExperienceSerializer(serializers.ModelSerializer):
    manager = ScopedPrimaryKeyRelatedField(queryset=AccountManager.objects.all(), scope_action="change")

    class Meta:
        model = WorkExperience
        fields = ["id", "manager", "start_date", "end_date", "employer", "position", "description"]


class WorkExperienceRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkExperience
        fields = ["start_date", "end_date", "employer", "position", "description"]


class AccountManagerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.name", max_length=60)
    username = serializers.CharField(source="user.username", read_only=True)
    phone = serializers.CharField(source="user.phone", max_length=30, required=False, allow_blank=True)
    email = serializers.EmailField(source="user.email", required=False, allow_blank=True)
    org_unit = serializers.IntegerField(source="user.org_unit_id", read_only=True, allow_null=True)
    org_unit_name = serializers.CharField(source="user.org_unit.name", read_only=True, allow_null=True)
    business_lines = ScopedPrimaryKeyRelatedField(queryset=BusinessLine.objects.all(), many=True, required=False)
    trainings = TrainingRowSerializer(many=True, read_only=True)
    experiences = WorkExperienceRowSerializer(many=True, read_only=True)

    class Meta:
        model = AccountManager
        fields = ["id", "user", "username", "name", "employee_no", "gender", "birth_date", "phone", "email",
                  "education", "title", "hire_date", "org_unit", "org_unit_name", "business_lines", "status",
                  "disabled_at", "disabled_reason", "remarks", "trainings", "experiences", "created_at",
                  "updated_at"]
        read_only_fields = ["user", "status", "disabled_at", "disabled_reason", "created_at", "updated_at"]


class AccountManagerListSerializer(AccountManagerSerializer):
    class Meta(AccountManagerSerializer.Meta):
        fields = [f for f in AccountManagerSerializer.Meta.fields if f not in ("trainings", "experiences")]


class AccountManagerCreateSerializer(AccountManagerSerializer):
    """Create a profile with its rows; either ``user`` (an existing login) or ``username`` +
    ``org_unit`` + ``password`` (a new login with a one-time initial password)."""

    user = ScopedPrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True,
        help_text=_("An existing user to attach the profile to."),
    )
    username = serializers.CharField(required=False, allow_blank=True, help_text=_("Account number of a new login"))
    name = serializers.CharField(source="user.name", max_length=60, required=False, allow_blank=True)
    org_unit = ScopedPrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(), required=False, allow_null=True, scope_action="view",
        help_text=_("Organisation unit of a new login"),
    )
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, style={"input_type": "password"},
        help_text=_("The one-time initial password of a new login."),
    )
    superior = ScopedPrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    trainings = TrainingRowSerializer(many=True, required=False)
    experiences = WorkExperienceRowSerializer(many=True, required=False)

    class Meta(AccountManagerSerializer.Meta):
        fields = [*AccountManagerSerializer.Meta.fields, "password", "superior"]
        read_only_fields = ["status", "disabled_at", "disabled_reason", "created_at", "updated_at"]


class DisableSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text=_("Why the manager is disabled"))


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    """Serializer data with ``user.*`` sources back to the services' keyword arguments."""
    nested = data.pop("user", None)
    if isinstance(nested, dict):
        data.update(nested)
    elif nested is not None:
        data["user"] = nested
    return data


class AccountManagerViewSet(ScopedModelViewSet):
    """客户经理管理: account-manager profiles within the caller's data scope."""

    queryset = (AccountManager.objects.select_related("user", "user__org_unit")
                .prefetch_related("business_lines", "trainings", "experiences"))
    serializer_class = AccountManagerSerializer
    filterset_class = AccountManagerFilterSet
    ordering_fields = ["employee_no", "user__name", "hire_date", "status"]
    lookup_value_regex = r"\d+"
    module = "managers"

    def get_serializer_class(self):
        if self.action == "create":
            return AccountManagerCreateSerializer
        if self.action == "list":
            return AccountManagerListSerializer
        return AccountManagerSerializer

    def create(self, request, *args, **kwargs):
        body = AccountManagerCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = _flatten(dict(body.validated_data))
        data["trainings"] = [dict(r) for r in data.get("trainings", [])]
        data["experiences"] = [dict(r) for r in data.get("experiences", [])]
        with service_errors():
            manager = services.manager_create(actor=request.user, **data)
        out = AccountManagerSerializer(manager, context=self.get_serializer_context())
        return Response(out.data, status=201)

    def update_object(self, instance: AccountManager, data: dict[str, Any]) -> AccountManager:
        return services.manager_update(actor=self.request.user, manager=instance, **_flatten(data))

    def delete_object(self, instance: AccountManager) -> None:
        services.manager_delete(actor=self.request.user, manager=instance)

    @extend_schema(request=DisableSerializer, responses=AccountManagerSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        """停用: the manager keeps their history but gets no new work, customers or templates; the
        login is not touched."""
        manager = self.get_object()
        body = DisableSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            manager = services.manager_disable(actor=request.user, manager=manager,
                                               reason=body.validated_data["reason"])
        return Response(AccountManagerSerializer(manager, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=AccountManagerSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        """启用: the manager may get new work again."""
        manager = self.get_object()
        with service_errors():
            manager = services.manager_enable(actor=request.user, manager=manager)
        return Response(AccountManagerSerializer(manager, context=self.get_serializer_context()).data)


class _RowViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    module = "managers"


class TrainingViewSet(_RowViewSet):
    """培训经历: a manager's training history (add and remove rows)."""

    queryset = Training.objects.select_related("manager")
    serializer_class = TrainingSerializer
    filterset_class = TrainingFilterSet
    ordering_fields = ["start_date"]

    def create_object(self, data: dict[str, Any]) -> Training:
        return services.training_add(actor=self.request.user, **data)

    def delete_object(self, instance: Training) -> None:
        services.training_remove(actor=self.request.user, training=instance)


class WorkExperienceViewSet(_RowViewSet):
    """工作经验: a manager's earlier positions (add and remove rows)."""

    queryset = WorkExperience.objects.select_related("manager")
    serializer_class = WorkExperienceSerializer
    filterset_class = WorkExperienceFilterSet
    ordering_fields = ["start_date"]

    def create_object(self, data: dict[str, Any]) -> WorkExperience:
        return services.experience_add(actor=self.request.user, **data)

    def delete_object(self, instance: WorkExperience) -> None:
        services.experience_remove(actor=self.request.user, experience=instance)


def router_register(router) -> None:
    router.register("managers/trainings", TrainingViewSet, basename="managers-training")
    router.register("managers/experiences", WorkExperienceViewSet, basename="managers-experience")
    router.register("managers", AccountManagerViewSet, basename="managers-manager")
