"""Filters of the account-manager list — one FilterSet for the page, the API and the export."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from kam.org.models import BusinessLine, OrgUnit

from .models import AccountManager, ManagerStatus, Training, WorkExperience


@extend_schema_field(OpenApiTypes.INT)
class OrgUnitSubtreeFilter(df.ModelChoiceFilter):
    """An org unit (id in the API) whose subtree the list is narrowed to."""


class AccountManagerFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Name, account, employee number or phone"), method="filter_q")
    org_unit = OrgUnitSubtreeFilter(label=_("Organisation unit (and below)"), queryset=OrgUnit.objects.all(),
                                    method="filter_unit")
    business_line = df.ModelChoiceFilter(
        label=_("Business line"), queryset=BusinessLine.objects.filter(enabled=True), field_name="business_lines",
    )
    status = df.ChoiceFilter(label=_("Status"), choices=ManagerStatus.choices, empty_label=_("All"))

    class Meta:
        model = AccountManager
        fields = ["q", "org_unit", "business_line", "status"]

    def filter_q(self, qs, name, value):
        return qs.search(value)

    def filter_unit(self, qs, name, value):
        """Managers of the unit and everything below it."""
        return qs.filter(user__org_unit__path__startswith=value.path) if value else qs


class TrainingFilterSet(df.FilterSet):
    class Meta:
        model = Training
        fields = ["manager"]


class WorkExperienceFilterSet(df.FilterSet):
    class Meta:
        model = WorkExperience
        fields = ["manager"]
