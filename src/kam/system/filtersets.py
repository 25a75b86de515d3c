"""Filters of the system app's lists — one FilterSet each for the page, the API and the export."""

from __future__ import annotations

import datetime as dt

import django_filters as df
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.forms import DateInput

from .models import (
    Announcement,
    AnnouncementKind,
    AnnouncementStatus,
    DictType,
    DictValue,
    LoginLog,
    LoginResult,
    OperationAction,
    OperationLog,
    OperationResult,
    Parameter,
    UserSession,
    ValueType,
)


def _day_start(value: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(value, dt.time.min))


class DateRangeMixin(df.FilterSet):
    """``date_from`` / ``date_to`` (both inclusive) over ``created_at``."""

    date_from = df.DateFilter(label=_("From"), method="filter_from", widget=DateInput)
    date_to = df.DateFilter(label=_("To"), method="filter_to", widget=DateInput)

    def filter_from(self, qs, name, value):
        return qs.filter(created_at__gte=_day_start(value)) if value else qs

    def filter_to(self, qs, name, value):
        return qs.filter(created_at__lt=_day_start(value + dt.timedelta(days=1))) if value else qs


class DictTypeFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Code or name"), method="filter_q")
    enabled = df.BooleanFilter(label=_("Enabled"))

    class Meta:
        model = DictType
        fields = ["q", "enabled"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(code__icontains=value) | Q(name__icontains=value)) if value else qs


class DictValueFilterSet(df.FilterSet):
    type = df.CharFilter(label=_("Dictionary code"), field_name="dict_type__code")
    q = df.CharFilter(label=_("Value or label"), method="filter_q")
    enabled = df.BooleanFilter(label=_("Enabled"))

    class Meta:
        model = DictValue
        fields = ["dict_type", "type", "q", "enabled"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(value__icontains=value) | Q(label__icontains=value)) if value else qs


class ParameterFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Key or name"), method="filter_q")
    value_type = df.ChoiceFilter(label=_("Value type"), choices=ValueType.choices)

    class Meta:
        model = Parameter
        fields = ["q", "value_type", "builtin"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(key__icontains=value) | Q(name__icontains=value)) if value else qs


class AnnouncementFilterSet(DateRangeMixin):
    q = df.CharFilter(label=_("Title"), field_name="title", lookup_expr="icontains")
    kind = df.ChoiceFilter(label=_("Kind"), choices=AnnouncementKind.choices)
    status = df.ChoiceFilter(label=_("Status"), choices=AnnouncementStatus.choices)

    class Meta:
        model = Announcement
        fields = ["q", "kind", "status", "date_from", "date_to"]


class OperationLogFilterSet(DateRangeMixin):
    user = df.CharFilter(label=_("Account"), field_name="username", lookup_expr="icontains")
    module = df.CharFilter(label=_("Module"), field_name="module", lookup_expr="icontains")
    action = df.ChoiceFilter(label=_("Business action"), choices=OperationAction.choices)
    result = df.ChoiceFilter(label=_("Result"), choices=OperationResult.choices)
    ip = df.CharFilter(label=_("IP address"), field_name="ip", lookup_expr="startswith")

    class Meta:
        model = OperationLog
        fields = ["user", "module", "action", "result", "ip", "date_from", "date_to"]


class LoginLogFilterSet(DateRangeMixin):
    user = df.CharFilter(label=_("Account"), field_name="username", lookup_expr="icontains")
    result = df.ChoiceFilter(label=_("Result"), choices=LoginResult.choices)
    ip = df.CharFilter(label=_("IP address"), field_name="ip", lookup_expr="startswith")

    class Meta:
        model = LoginLog
        fields = ["user", "result", "ip", "date_from", "date_to"]


class UserSessionFilterSet(df.FilterSet):
    user = df.CharFilter(label=_("Account or name"), method="filter_user")
    ip = df.CharFilter(label=_("IP address"), field_name="ip", lookup_expr="startswith")

    class Meta:
        model = UserSession
        fields = ["user", "ip"]

    def filter_user(self, qs, name, value):
        return qs.filter(Q(user__username__icontains=value) | Q(user__name__icontains=value)) if value else qs
