"""Filters of the customers app — one FilterSet each for the page, the API and the export."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.org.models import OrgLevel, OrgUnit

from .models import (
    AccessContent,
    AccessRequest,
    AccessStatus,
    Contact,
    Customer,
    NumberSegment,
    Registration,
    Relationship,
    Stage,
)


def _industries():
    from kam.system.selectors import dict_values

    return dict_values("industry")


def _levels():
    from kam.system.selectors import dict_values

    return dict_values("customer_level")


class CustomerFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Name, short name or key-customer number"), method="filter_q")
    industry = df.ChoiceFilter(label=_("Industry"), choices=_industries)
    level = df.ChoiceFilter(label=_("Customer level"), choices=_levels)
    county = df.ModelChoiceFilter(label=_("County"), queryset=OrgUnit.objects.filter(level=OrgLevel.COUNTY))
    is_headquarters = df.BooleanFilter(label=_("Headquarters customer"))
    has_key_number = df.BooleanFilter(label=_("Has a key-customer number"), method="filter_has_number")

    class Meta:
        model = Customer
        fields = ["q", "industry", "level", "county", "is_headquarters", "has_key_number"]

    def filter_q(self, qs, name, value):
        return qs.search(value)

    def filter_has_number(self, qs, name, value):
        if value is None:
            return qs
        return qs.exclude(key_number__isnull=value)


class ContactFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Name or phone"), method="filter_q")

    class Meta:
        model = Contact
        fields = ["customer", "q"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(phone__icontains=value)) if value else qs


class RelationshipFilterSet(df.FilterSet):
    class Meta:
        model = Relationship
        fields = ["customer", "department", "manager"]


class RegistrationFilterSet(df.FilterSet):
    """客户注册维护: fuzzy name, industry, application date range."""

    name = df.CharFilter(label=_("Customer name"), lookup_expr="icontains")
    industry = df.ChoiceFilter(label=_("Industry"), choices=_industries)
    stage = df.ChoiceFilter(label=_("Stage"), choices=Stage.choices)
    submitted_from = df.DateFilter(label=_("Applied from"), field_name="submitted_at", lookup_expr="date__gte",
                                   widget=forms.DateInput(attrs={"type": "date"}))
    submitted_to = df.DateFilter(label=_("Applied to"), field_name="submitted_at", lookup_expr="date__lte",
                                 widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = Registration
        fields = ["name", "industry", "stage", "submitted_from", "submitted_to"]


class AccessRequestFilterSet(df.FilterSet):
    customer_name = df.CharFilter(label=_("Customer name"), field_name="customer__name", lookup_expr="icontains")
    status = df.ChoiceFilter(label=_("Status"), choices=AccessStatus.choices)
    content = df.ChoiceFilter(label=_("Requested content"), choices=AccessContent.choices)

    class Meta:
        model = AccessRequest
        fields = ["customer_name", "status", "content"]


class NumberSegmentFilterSet(df.FilterSet):
    class Meta:
        model = NumberSegment
        fields = ["org_unit", "enabled"]
