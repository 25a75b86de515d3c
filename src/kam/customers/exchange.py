"""Excel import and export of customers (商务客户信息导入 / 导出), matched on the key-customer
number. Every write goes through ``kam.customers.services`` (R-CUST-1 applies to imports too)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kam.exchange.columns import Boolean, Dictionary, ForeignKey, Text
from kam.exchange.specs import ImportSpec, RowContext, register
from kam.org.models import OrgUnit

from . import services
from .filtersets import CustomerFilterSet
from .models import Customer


@register
class CustomerSpec(ImportSpec):
    code = "customers.customers"
    label = _("Customers")
    model = Customer
    module = "customers"
    key = "key_number"
    filterset = CustomerFilterSet
    ordering = ("name", "pk")
    columns = (
        Text("key_number", _("Key-customer number"), required=True, max_length=40),
        Text("name", _("Customer name"), required=True, max_length=200, width=30),
        Text("short_name", _("Short name"), max_length=100),
        Dictionary("industry", _("Industry"), type_code="industry"),
        Dictionary("level", _("Customer level"), type_code="customer_level",
                   help=_("a headquarters customer is always a diamond customer")),
        Boolean("is_headquarters", _("Headquarters customer")),
        ForeignKey("city", _("City"), model=OrgUnit, key="name", scope=None, filter={"level": "city"},
                   required=True, create_only=True),
        ForeignKey("county", _("County"), model=OrgUnit, key="name", scope=None, filter={"level": "county"},
                   help=_("a county of the city")),
        Text("address", _("Address"), max_length=300, width=30),
        Text("phone", _("Phone"), max_length=40),
        Dictionary("status", _("Status"), type_code="customer_status"),
        ForeignKey("org_unit", _("Owning unit code"), model=OrgUnit, key="code", scope=None, create_only=True,
                   help=_("default: the importing user's unit")),
        Text("remarks", _("Remarks"), max_length=2000, width=30),
    )

    def get_queryset(self, user: Any):
        return self.base_queryset(user, "view").select_related("city", "county", "org_unit").order_by(*self.ordering)

    def create(self, ctx: RowContext, values: dict[str, Any]) -> Customer:
        city = values.pop("city")
        org_unit = values.pop("org_unit", None)
        key_number = values.pop("key_number")
        return services.customer_create(user=ctx.user, city=city, org_unit=org_unit, key_number=key_number, **values)

    def update(self, ctx: RowContext, obj: Customer, values: dict[str, Any]) -> Customer:
        for key in ("key_number", "city", "org_unit"):
            values.pop(key, None)
        return services.customer_update(user=ctx.user, customer=obj, **values)
