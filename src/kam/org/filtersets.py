"""Filters of the org app's lists — one FilterSet each for the page, the API and the export."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import BusinessLine, BusinessType, DataScope, Grant, OrgKind, OrgLevel, OrgUnit, Role, User


class OrgUnitFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Name or code"), method="filter_q")
    kind = df.ChoiceFilter(label=_("Kind"), choices=OrgKind.choices)
    level = df.ChoiceFilter(label=_("Level"), choices=OrgLevel.choices)
    within = df.NumberFilter(label=_("Within unit (id)"), method="filter_within")
    is_key_account_centre = df.BooleanFilter(label=_("Key-account centre"))
    enabled = df.BooleanFilter(label=_("Enabled"))

    class Meta:
        model = OrgUnit
        fields = ["q", "kind", "level", "within", "is_key_account_centre", "enabled", "parent"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else qs

    def filter_within(self, qs, name, value):
        unit = OrgUnit.objects.filter(pk=value).only("path").first()
        return qs.filter(path__startswith=unit.path) if unit else qs.none()


class UserFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Account or name"), method="filter_q")
    org_unit = df.NumberFilter(label=_("Organisation unit (id)"), method="filter_unit")
    role = df.ModelChoiceFilter(label=_("Role"), queryset=Role.objects.all(), field_name="roles")
    is_active = df.BooleanFilter(label=_("Active"))

    class Meta:
        model = User
        fields = ["q", "org_unit", "role", "is_active"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(username__icontains=value) | Q(name__icontains=value)) if value else qs

    def filter_unit(self, qs, name, value):
        """Users of the unit and everything below it."""
        unit = OrgUnit.objects.filter(pk=value).only("path").first()
        return qs.filter(org_unit__path__startswith=unit.path) if unit else qs.none()


class RoleFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Code or name"), method="filter_q")
    enabled = df.BooleanFilter(label=_("Enabled"))

    class Meta:
        model = Role
        fields = ["q", "enabled", "builtin"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(code__icontains=value) | Q(name__icontains=value)) if value else qs


class GrantFilterSet(df.FilterSet):
    scope = df.ChoiceFilter(label=_("Data scope"), choices=DataScope.choices)

    class Meta:
        model = Grant
        fields = ["role", "module", "scope"]


class BusinessLineFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Code or name"), method="filter_q")

    class Meta:
        model = BusinessLine
        fields = ["q", "enabled"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(code__icontains=value) | Q(name__icontains=value)) if value else qs


class BusinessTypeFilterSet(df.FilterSet):
    class Meta:
        model = BusinessType
        fields = ["line", "enabled"]
