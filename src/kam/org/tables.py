"""Tables of the org list pages."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from kam.core.tables import ActionsColumn, BooleanColumn, KamTable, ManyColumn

from .models import BusinessLine, OrgUnit, Role, User


class OrgUnitTable(KamTable):
    name = tables.Column(linkify=("org:unit_detail", [tables.A("pk")]), orderable=True)
    code = tables.Column(orderable=True)
    parent = tables.Column(accessor="parent__name", verbose_name=_("Parent unit"),
                           order_by=("parent__name",), orderable=True)
    kind = tables.Column(orderable=True)
    level = tables.Column(orderable=True)
    is_key_account_centre = BooleanColumn()
    business_line = tables.Column(accessor="business_line__name", verbose_name=_("Business line"))
    enabled = BooleanColumn(orderable=True)
    sort_order = tables.Column(orderable=True)
    actions = ActionsColumn({"edit": "org:unit_edit", "delete": "org:unit_delete"})

    class Meta(KamTable.Meta):
        model = OrgUnit
        fields = ("name", "code", "parent", "kind", "level", "is_key_account_centre", "business_line",
                  "enabled", "sort_order")


class UserTable(KamTable):
    username = tables.Column(linkify=("org:user_detail", [tables.A("pk")]), orderable=True,
                             verbose_name=_("Account number"))
    name = tables.Column(orderable=True)
    org_unit = tables.Column(accessor="org_unit__name", verbose_name=_("Organisation unit"),
                             order_by=("org_unit__path",), orderable=True)
    superior = tables.Column(accessor="superior__name", verbose_name=_("Direct superior"),
                             order_by=("superior__name",), orderable=True)
    roles = ManyColumn(verbose_name=_("Roles"))
    is_active = BooleanColumn(verbose_name=_("Active"), orderable=True)
    must_change_password = BooleanColumn(orderable=True)
    last_login = tables.DateTimeColumn(orderable=True, format="Y-m-d H:i")
    actions = ActionsColumn({"edit": "org:user_edit", "delete": "org:user_delete"})

    class Meta(KamTable.Meta):
        model = User
        fields = ("username", "name", "org_unit", "superior", "roles", "is_active", "must_change_password",
                  "last_login")


class RoleTable(KamTable):
    name = tables.Column(linkify=("org:role_detail", [tables.A("pk")]), orderable=True)
    code = tables.Column(orderable=True)
    description = tables.Column()
    builtin = BooleanColumn()
    enabled = BooleanColumn(orderable=True)
    sort_order = tables.Column(orderable=True)
    actions = ActionsColumn({"edit": "org:role_edit", "delete": "org:role_delete"})

    class Meta(KamTable.Meta):
        model = Role
        fields = ("name", "code", "description", "builtin", "enabled", "sort_order")


class BusinessLineTable(KamTable):
    name = tables.Column(linkify=("org:line_detail", [tables.A("pk")]), orderable=True)
    code = tables.Column(orderable=True)
    types = ManyColumn(verbose_name=_("Business types"))
    enabled = BooleanColumn(orderable=True)
    sort_order = tables.Column(orderable=True)
    actions = ActionsColumn({"edit": "org:line_edit", "delete": "org:line_delete"})

    class Meta(KamTable.Meta):
        model = BusinessLine
        fields = ("name", "code", "types", "enabled", "sort_order")
