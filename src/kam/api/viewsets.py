"""Base viewsets of the API: scope-restricted querysets and writes through the services.

A viewset of an app::

    class WidgetViewSet(ScopedModelViewSet):
        queryset = Widget.objects.select_related("org_unit")   # a RestrictedQuerySet
        serializer_class = WidgetSerializer
        filterset_class = WidgetFilterSet                       # shared with the pages
        module = "widgets"                                      # default: Widget.kam_scope.module

        def create_object(self, data):
            return services.widget_create(user=self.request.user, **data)

        def update_object(self, instance, data):
            return services.widget_update(user=self.request.user, widget=instance, **data)

        def delete_object(self, instance):
            services.widget_delete(user=self.request.user, widget=instance)

``get_queryset()`` is ``queryset.restrict(request.user, action)`` — ``view`` for reads, ``change``
for writes, ``analyse`` for the actions in ``analyse_actions`` — so a record outside the user's
scope is a 404. A service's ``django.core.exceptions.ValidationError`` becomes a 400 whose body
names the fields; its ``PermissionDenied`` (the scope re-check inside the transaction) a 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.settings import api_settings

from .permissions import ModulePermission, required_action


def validation_error(exc: DjangoValidationError) -> ValidationError:
    """A DRF 400 from a Django ``ValidationError``, keeping field names (non-field errors under
    ``non_field_errors``)."""
    detail = get_error_detail(exc)
    if not isinstance(detail, dict):
        detail = {api_settings.NON_FIELD_ERRORS_KEY: detail}
    elif "__all__" in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop("__all__")
    return ValidationError(detail)


@contextmanager
def service_errors() -> Iterator[None]:
    """Turn a service's ``ValidationError`` into an API 400."""
    try:
        yield
    except DjangoValidationError as exc:
        raise validation_error(exc) from exc


class ScopedViewSetMixin:
    """``get_queryset`` restricted to the user's data scope; writes call the app's services."""

    permission_classes = [ModulePermission]
    module: str | None = None
    analyse_actions: tuple[str, ...] = ()
    action_permissions: dict[str, str] = {}

    def get_queryset(self):
        queryset = super().get_queryset()  # type: ignore[misc]
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return queryset.none()
        return queryset.restrict(self.request.user, required_action(self.request, self))  # type: ignore[attr-defined]

    # Hooks a concrete viewset implements with its services.
    def create_object(self, data: dict[str, Any]):
        raise NotImplementedError

    def update_object(self, instance, data: dict[str, Any]):
        raise NotImplementedError

    def delete_object(self, instance) -> None:
        raise NotImplementedError

    def perform_create(self, serializer) -> None:
        with service_errors():
            serializer.instance = self.create_object(dict(serializer.validated_data))

    def perform_update(self, serializer) -> None:
        with service_errors():
            serializer.instance = self.update_object(serializer.instance, dict(serializer.validated_data))

    def perform_destroy(self, instance) -> None:
        with service_errors():
            self.delete_object(instance)


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """List, retrieve, create, update, partial update and delete."""


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve only."""

