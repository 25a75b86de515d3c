"""API authentication (R-AUTH-1): token, password change, who am I, logout.

- ``POST auth/token/`` ``{"username", "password"}`` → ``{"token", "must_change_password"}``. The
  credentials go through ``django.contrib.auth.authenticate`` with the request, so django-axes
  counts failures and locks the account and address after ``AXES_FAILURE_LIMIT`` of them.
- A user holding the one-time initial password gets a token, but every other call answers 403
  until ``POST auth/password/`` has changed it (``auth/me/`` stays available).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kam.core.registry import ACTIONS, MODULES
from kam.org import services
from kam.org.permissions import active_grants

from .authentication import token_expired
from .permissions import Authenticated
from .viewsets import service_errors


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(help_text=gettext_lazy("Account number"))
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    must_change_password = serializers.BooleanField(read_only=True)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    new_password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)


class GrantSummarySerializer(serializers.Serializer):
    label = serializers.CharField()
    view = serializers.BooleanField()
    change = serializers.BooleanField()
    analyse = serializers.BooleanField()
    scopes = serializers.ListField(child=serializers.CharField())


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    org_unit = serializers.IntegerField(allow_null=True)
    org_unit_name = serializers.CharField(allow_null=True)
    roles = serializers.ListField(child=inline_serializer(
        name="MeRole", fields={"id": serializers.IntegerField(), "code": serializers.CharField(),
                               "name": serializers.CharField()}))
    is_superuser = serializers.BooleanField()
    must_change_password = serializers.BooleanField()
    grants = serializers.DictField(child=GrantSummarySerializer(),
                                   help_text=gettext_lazy("Effective grants by module code"))


def _lockout_minutes() -> int:
    """The lock's length in minutes (``AXES_COOLOFF_TIME`` is hours or a timedelta); 0 if unknown."""
    cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
    if isinstance(cooloff, str):
        from django.utils.module_loading import import_string

        cooloff = import_string(cooloff)
    if callable(cooloff):
        cooloff = cooloff(None)
    if isinstance(cooloff, dt.timedelta):
        return max(1, round(cooloff.total_seconds() / 60))
    if isinstance(cooloff, int | float):
        return max(1, round(cooloff * 60))
    return 0


class TokenObtainView(APIView):
    """Exchange an account number and password for an API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer, 400: DetailSerializer,
                                                              403: DetailSerializer}, auth=[])
    def post(self, request):
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(request=request, username=body.validated_data["username"],
                            password=body.validated_data["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                minutes = _lockout_minutes()
                if minutes:
                    message = _("Too many failed logins: this account is locked for %(minutes)d minutes.") % {
                        "minutes": minutes}
                else:
                    message = _("Too many failed logins: this account is locked.")
                raise PermissionDenied(message)
            raise ValidationError({"non_field_errors": [_("Wrong account number or password.")]})
        user_logged_in.send(sender=type(user), request=request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        if token_expired(token):
            token.delete()
            token = Token.objects.create(user=user)
        return Response({"token": token.key, "must_change_password": user.must_change_password})


class PasswordChangeView(APIView):
    """Change one's own password; this clears the one-time initial password (R-AUTH-1)."""

    permission_classes = [Authenticated]
    allow_initial_password = True

    @extend_schema(request=PasswordChangeSerializer, responses={200: DetailSerializer})
    def post(self, request):
        body = PasswordChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            services.user_change_password(user=request.user, **body.validated_data)
        return Response({"detail": _("Your password has been changed.")})


def effective_grants(user) -> dict[str, dict]:
    """The user's effective grants summed up per module: actions and data scopes."""
    result: dict[str, dict] = {}
    if user.is_superuser:
        for code, module in MODULES.items():
            result[code] = {"label": str(module.label), **dict.fromkeys(ACTIONS, True), "scopes": ["all"]}
        return result
    for code, grants in sorted(active_grants(user).items()):
        module = MODULES.get(code)
        result[code] = {
            "label": str(module.label) if module else code,
            **{a: any(g.allows(a) for g in grants) for a in ACTIONS},
            "scopes": sorted({g.scope for g in grants}),
        }
    return result


class MeView(APIView):
    """Who am I: the account, its unit and roles, and the effective grants per module."""

    permission_classes = [Authenticated]
    allow_initial_password = True

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        unit = user.org_unit
        return Response({
            "id": user.pk,
            "username": user.username,
            "name": user.name,
            "org_unit": unit.pk if unit else None,
            "org_unit_name": unit.name if unit else None,
            "roles": [{"id": r.pk, "code": r.code, "name": r.name} for r in user.roles.all()],
            "is_superuser": user.is_superuser,
            "must_change_password": user.must_change_password,
            "grants": effective_grants(user),
        })


class LogoutView(APIView):
    """Delete the caller's API token."""

    permission_classes = [Authenticated]
    allow_initial_password = True

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
