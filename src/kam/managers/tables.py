"""The account-manager list (客户经理信息查询)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.tables import KamTable, ManyColumn

from .models import AccountManager, ManagerStatus


class AccountManagerTable(KamTable):
    employee_no = tables.Column(verbose_name=_("Employee number"), linkify=("managers:detail", [tables.A("pk")]),
                                orderable=True)
    name = tables.Column(verbose_name=pgettext_lazy("person", "Name"), accessor="user__name", order_by=("user__name",),
                         linkify=("managers:detail", [tables.A("pk")]), orderable=True)
    username = tables.Column(verbose_name=_("Account"), accessor="user__username", order_by=("user__username",),
                             orderable=True)
    org_unit = tables.Column(verbose_name=_("Organisation unit"), accessor="user__org_unit__name",
                             order_by=("user__org_unit__path",), orderable=True, default="")
    phone = tables.Column(verbose_name=_("Phone"), accessor="user__phone", default="")
    title = tables.Column(verbose_name=_("Position"), default="")
    business_lines = ManyColumn(verbose_name=_("Business lines served"))
    hire_date = tables.DateColumn(verbose_name=_("Hire date"), format="Y-m-d", orderable=True, default="")
    status = tables.Column(verbose_name=_("Status"), orderable=True)

    class Meta(KamTable.Meta):
        model = AccountManager
        fields = ("employee_no", "name", "username", "org_unit", "phone", "title", "business_lines",
                  "hire_date", "status")

    def render_org_unit(self, value, record):
        unit = record.user.org_unit
        if unit is None:
            return ""
        return f"{unit.parent.name} / {unit.name}" if unit.parent_id else unit.name

    def render_status(self, value, record):
        css = "success" if record.status == ManagerStatus.ENABLED else "danger"
        return format_html('<span class="badge text-bg-{}">{}</span>', css, record.get_status_display())
