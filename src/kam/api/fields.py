"""Serializer fields that respect the data scope (R-PERM-1)."""

from __future__ import annotations

from rest_framework import serializers


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key chosen among the records the request's user may see.

    The choices are ``queryset.restrict(request.user, action)`` (``view`` by default), so an id
    outside the user's scope is refused as "does not exist", exactly like an unknown id.
    """

    def __init__(self, *, scope_action: str = "view", **kwargs):
        self.scope_action = scope_action
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return queryset.restrict(request.user, self.scope_action)
