"""Import/export specs of the org app: users, org units, roles (系统管理)."""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.org import services
from kam.org.filtersets import OrgUnitFilterSet, RoleFilterSet, UserFilterSet
from kam.org.models import BusinessLine, OrgKind, OrgLevel, OrgUnit, Role, User

from .columns import Boolean, Choice, ForeignKey, Integer, Text
from .specs import ImportSpec, RowContext, register


def initial_password(ctx: RowContext, given: str | None) -> tuple[str, str, bool]:
    """The one-time initial password of a new login in an import: (password, its hash, generated?).

    Rows without a password share one generated password per import, as the manuals hand out one
    initial password (it is changed at first login), and each distinct password is hashed once per
    import: a hash costs about 0.35 s, i.e. hours for a province's users.
    """
    generated = not given
    password = ctx.cache.setdefault("generated_password", generate_password()) if generated else str(given)
    hashes = ctx.cache.setdefault("password_hashes", {})
    if password not in hashes:
        hashes[password] = make_password(password)
    return password, hashes[password], generated


def generate_password(length: int = 12) -> str:
    """A random initial password with upper and lower case letters, digits and a symbol."""
    alphabet = string.ascii_letters + string.digits
    while True:
        chars = [secrets.choice(alphabet) for _ in range(length - 1)] + [secrets.choice("@#%+=")]
        secrets.SystemRandom().shuffle(chars)
        text = "".join(chars)
        if any(c.islower() for c in text) and any(c.isupper() for c in text) and any(c.isdigit() for c in text):
            return text


@register
class UserSpec(ImportSpec):
    code = "org.users"
    label = pgettext_lazy("excel sheet", "Users")
    model = User
    module = "users"
    key = "username"
    filterset = UserFilterSet
    ordering = ("username",)
    columns = (
        Text("username", pgettext_lazy("excel column", "Account"), required=True, max_length=150),
        Text("name", pgettext_lazy("excel column", "Full name"), required=True, max_length=60),
        ForeignKey("org_unit", pgettext_lazy("excel column", "Organisation unit code"), required=True,
                   model=OrgUnit, key="code"),
        ForeignKey("superior", pgettext_lazy("excel column", "Superior account"), model=User, key="username",
                   self_ref=True,
                   help=_("may name a user of an earlier row of the same file")),
        ForeignKey("roles", pgettext_lazy("excel column", "Role codes"), model=Role, key="code", many=True, width=24),
        Text("phone", pgettext_lazy("excel column", "Phone"), max_length=30),
        Boolean("is_active", pgettext_lazy("excel column", "Active"), help=_("empty means yes for a new user")),
        Text("password", pgettext_lazy("excel column", "Initial password"), create_only=True, exportable=False,
             max_length=128,
             help=_("one-time, changed at first login; leave empty to have one generated and shown after "
                    "the import")),
    )

    def create(self, ctx: RowContext, values: dict[str, Any]) -> User:
        password, password_hash, generated = initial_password(ctx, values.pop("password", None))
        if not generated:
            try:
                validate_password(password)
            except ValidationError as exc:
                raise ValidationError({"password": exc.messages}) from None
        roles = values.pop("roles", [])
        user = services.user_create(actor=ctx.user, password=password, password_hash=password_hash, roles=roles,
                                    must_change_password=True, **values)
        if generated:
            ctx.note(_("Initial password of %(account)s: %(password)s") % {"account": user.username,
                                                                          "password": password})
        return user

    def update(self, ctx: RowContext, obj: User, values: dict[str, Any]) -> User:
        values.pop("password", None)
        roles = values.pop("roles", None)
        return services.user_update(actor=ctx.user, user=obj, roles=roles, **values)


@register
class OrgUnitSpec(ImportSpec):
    code = "org.units"
    label = pgettext_lazy("excel sheet", "Organisation units")
    model = OrgUnit
    module = "org"
    key = "code"
    filterset = OrgUnitFilterSet
    ordering = ("path",)
    columns = (
        Text("code", pgettext_lazy("excel column", "Unit code"), required=True, max_length=40),
        Text("name", pgettext_lazy("excel column", "Unit name"), required=True, max_length=100),
        ForeignKey("parent", pgettext_lazy("excel column", "Parent unit code"), model=OrgUnit, key="code",
                   self_ref=True,
                   help=_("empty for the province; may name a unit of an earlier row of the same file")),
        Choice("kind", pgettext_lazy("excel column", "Kind"), choices=OrgKind.choices, help=_("empty means region")),
        Choice("level", pgettext_lazy("excel column", "Level"), choices=OrgLevel.choices, help=_("regions only")),
        Boolean("is_key_account_centre", pgettext_lazy("excel column", "Key-account centre")),
        ForeignKey("business_line", pgettext_lazy("excel column", "Business line"), model=BusinessLine, key="name",
                   help=_("for a city business-line bureau")),
        Text("phone", pgettext_lazy("excel column", "Phone"), max_length=30),
        Integer("sort_order", pgettext_lazy("excel column", "Sort order"), min_value=0),
        Boolean("enabled", pgettext_lazy("excel column", "Enabled")),
    )

    def create(self, ctx: RowContext, values: dict[str, Any]) -> OrgUnit:
        values.setdefault("kind", OrgKind.REGION)
        values.setdefault("parent", None)
        return services.org_unit_create(user=ctx.user, **values)

    def update(self, ctx: RowContext, obj: OrgUnit, values: dict[str, Any]) -> OrgUnit:
        return services.org_unit_update(user=ctx.user, unit=obj, **values)


@register
class RoleSpec(ImportSpec):
    code = "org.roles"
    label = pgettext_lazy("excel sheet", "Roles")
    model = Role
    module = "roles"
    key = "code"
    filterset = RoleFilterSet
    ordering = ("sort_order", "code")
    columns = (
        Text("code", pgettext_lazy("excel column", "Role code"), required=True, max_length=40,
             pattern=r"[-a-zA-Z0-9_]+",
             pattern_message=_("may hold only letters, digits, - and _")),
        Text("name", pgettext_lazy("excel column", "Role name"), required=True, max_length=60),
        Text("description", pgettext_lazy("excel column", "Description"), max_length=200, width=30),
        Boolean("enabled", pgettext_lazy("excel column", "Enabled")),
        Integer("sort_order", pgettext_lazy("excel column", "Sort order"), min_value=0),
    )

    def create(self, ctx: RowContext, values: dict[str, Any]) -> Role:
        return services.role_create(user=ctx.user, **values)

    def update(self, ctx: RowContext, obj: Role, values: dict[str, Any]) -> Role:
        return services.role_update(user=ctx.user, role=obj, **values)
