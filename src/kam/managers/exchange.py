"""Excel import and export of account-manager profiles (客户经理 批量导入 / 批量导出).

One row per manager, matched on the employee number. A row names the login by account number:
an existing user (within the importer's scope) gets the profile; an unknown account creates the
login at the given organisation unit with a one-time initial password (generated and shown after
the import when the cell is empty). Every write goes through ``kam.managers.services``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.exchange.columns import Choice, Date, Dictionary, ForeignKey, Text
from kam.exchange.org_specs import initial_password
from kam.exchange.specs import ImportSpec, RowContext, register
from kam.org.models import BusinessLine, OrgUnit, User

from . import services
from .filtersets import AccountManagerFilterSet
from .models import AccountManager, Education, ManagerStatus


@register
class AccountManagerSpec(ImportSpec):
    code = "managers.managers"
    label = _("Account managers")
    model = AccountManager
    module = "managers"
    key = "employee_no"
    filterset = AccountManagerFilterSet
    ordering = ("employee_no",)
    columns = (
        Text("employee_no", _("Employee number"), required=True, max_length=30),
        Text("username", _("Account"), required=True, max_length=150, source="user.username",
             help=_("an existing user gets the profile; an unknown account is created as a new login")),
        Text("name", pgettext_lazy("person", "Name"), max_length=60, source="user.name",
             help=_("required for a new login")),
        ForeignKey("org_unit", _("Organisation unit code"), model=OrgUnit, key="code", create_only=True,
                   source="user.org_unit", help=_("required for a new login")),
        ForeignKey("superior", _("Superior account"), model=User, key="username", create_only=True,
                   exportable=False, help=_("for a new login")),
        Text("password", _("Initial password"), create_only=True, exportable=False, max_length=128,
             help=_("one-time, for a new login; leave empty to have one generated and shown after the "
                        "import")),
        Dictionary("gender", _("Gender"), type_code="gender"),
        Date("birth_date", _("Birth date")),
        Text("phone", _("Phone"), max_length=30, source="user.phone"),
        Text("email", _("E-mail"), max_length=254, source="user.email", width=24),
        Choice("education", _("Education"), choices=Education.choices),
        Text("title", _("Position"), max_length=60),
        Date("hire_date", _("Hire date")),
        ForeignKey("business_lines", _("Business lines served"), model=BusinessLine, key="name", many=True,
                   scope=None, width=24),
        Choice("status", _("Status"), choices=ManagerStatus.choices, importable=False),
        Text("disabled_reason", _("Reason for disabling"), importable=False, width=24),
        Text("remarks", _("Remarks"), max_length=2000, width=30),
    )

    def get_queryset(self, user: Any):
        return (self.base_queryset(user, "view").select_related("user", "user__org_unit")
                .prefetch_related("business_lines").order_by(*self.ordering))

    def create(self, ctx: RowContext, values: dict[str, Any]) -> AccountManager:
        username = values.pop("username")
        # An existing login, in or out of scope: the service's scope check decides.
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            for key in ("org_unit", "superior", "password"):
                values.pop(key, None)
            return services.manager_create(actor=ctx.user, user=existing, **values)
        password, password_hash, generated = initial_password(ctx, values.pop("password", None))
        if not values.get("org_unit"):
            raise ValidationError({"org_unit": _("Give the organisation unit of the new login.")})
        if not values.get("name"):
            raise ValidationError({"name": _("Give the name of the new login.")})
        manager = services.manager_create(actor=ctx.user, username=username, password=password,
                                          password_hash=password_hash, **values)
        if generated:
            ctx.note(_("Initial password of %(account)s: %(password)s") % {"account": username,
                                                                          "password": password})
        return manager

    def update(self, ctx: RowContext, obj: AccountManager, values: dict[str, Any]) -> AccountManager:
        for key in ("username", "org_unit", "superior", "password"):
            values.pop(key, None)
        return services.manager_update(actor=ctx.user, manager=obj, **values)
