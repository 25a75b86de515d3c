"""Forms of the org pages: login, password change, org units, users, roles, grants, business lines.

They only clean input; the views hand ``cleaned_data`` to ``kam.org.services``.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from kam.core.forms import BootstrapMixin, DateInput, KamForm, ServiceModelForm

from .models import BusinessLine, BusinessType, DataScope, OrgUnit, Role, User


def generate_password(length: int = 12) -> str:
    """A random one-time password with upper and lower case letters, digits and a symbol."""
    alphabet = string.ascii_letters + string.digits
    while True:
        core = "".join(secrets.choice(alphabet) for _ in range(length - 1))
        if any(c.isupper() for c in core) and any(c.islower() for c in core) and any(c.isdigit() for c in core):
            return core[: length // 2] + secrets.choice("@#%&*") + core[length // 2:]


class UnitChoiceField(forms.ModelChoiceField):
    """Org units in tree order, indented by depth."""

    def label_from_instance(self, obj: OrgUnit) -> str:
        return f"{'　' * obj.depth}{obj.name}（{obj.code}）"


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return f"{'　' * obj.depth}{obj.name}"


# --- login and password ------------------------------------------------------------------------


class LoginForm(BootstrapMixin, AuthenticationForm):
    """R-AUTH-1: account number and password. Built with the request, so django-axes sees it."""

    error_messages = {
        "invalid_login": _("Wrong account number or password."),
        "inactive": _("This account is disabled."),
    }

    def __init__(self, request=None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Account number")
        self.fields["username"].widget.attrs.update(autofocus=True, autocomplete="username")
        self.fields["password"].label = _("Password")
        self._bootstrap()


class PasswordChangeForm(KamForm):
    old_password = forms.CharField(
        label=_("Current password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password = forms.CharField(
        label=_("New password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password, not like your account."),
    )
    new_password2 = forms.CharField(
        label=_("New password (again)"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") and data["new_password"] != data["new_password2"]:
            self.add_error("new_password2", _("The two new passwords differ."))
        return data


# --- org units ---------------------------------------------------------------------------------


class OrgUnitForm(ServiceModelForm):
    choice_actions = {"parent": "change"}

    parent = UnitChoiceField(label=_("Parent unit"), queryset=OrgUnit.objects.order_by("path"), required=False)

    class Meta:
        model = OrgUnit
        fields = ["name", "code", "parent", "kind", "level", "is_key_account_centre", "business_line", "head",
                  "phone", "sort_order", "enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_line"].queryset = self.fields["business_line"].queryset.filter(enabled=True)
        self.fields["head"].queryset = self.fields["head"].queryset.filter(is_active=True).order_by("username")
        if self.instance.pk:
            # A unit cannot become its own descendant (moving is also offered on its own page).
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(
                path__startswith=self.instance.path)


class OrgUnitMoveForm(KamForm):
    choice_actions = {"parent": "change"}

    parent = UnitChoiceField(
        label=_("New parent unit"), queryset=OrgUnit.objects.order_by("path"), required=False,
        empty_label=_("(none: a top-level unit)"),
        help_text=_("The unit moves together with all its sub-units and users."),
    )

    def __init__(self, *args: Any, unit: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(path__startswith=unit.path)
        self.fields["parent"].initial = unit.parent_id


# --- users -------------------------------------------------------------------------------------


class UserForm(ServiceModelForm):
    org_unit = UnitChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.order_by("path"))
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"), queryset=Role.objects.filter(enabled=True), required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = User
        fields = ["name", "org_unit", "superior", "roles", "phone", "email", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        superiors = self.fields["superior"].queryset.filter(is_active=True).select_related("org_unit")
        if self.instance.pk:
            superiors = superiors.exclude(pk=self.instance.pk)
        self.fields["superior"].queryset = superiors.order_by("username")
        from .permissions import has_perm

        if self.user is not None and not has_perm(self.user, "roles", "change"):
            # Giving or taking roles is granting permissions (R-PERM-1): shown, not editable.
            self.fields["roles"].disabled = True
            self.fields["roles"].help_text = _("Assigning roles needs the “add / delete / modify” permission "
                                               "of roles and permissions.")


class UserCreateForm(UserForm):
    username = forms.CharField(label=_("Account number"), max_length=150)
    password = forms.CharField(
        label=_("Initial password"), required=False, strip=False,
        help_text=_("One-time: the user must change it at first login. Leave empty to generate one; "
                    "it is shown once after saving."),
    )

    class Meta(UserForm.Meta):
        fields = ["username", "name", "org_unit", "superior", "roles", "phone", "email"]

    field_order = ["username", "name", "password", "org_unit", "superior", "roles", "phone", "email"]


class UserPasswordResetForm(KamForm):
    password = forms.CharField(
        label=_("New one-time password"), required=False, strip=False,
        help_text=_("Leave empty to generate one; it is shown once after saving. "
                    "The user must change it at next login."),
    )


# --- roles and grants --------------------------------------------------------------------------


class RoleForm(ServiceModelForm):
    class Meta:
        model = Role
        fields = ["code", "name", "description", "enabled", "sort_order"]


class GrantRowForm(KamForm):
    """One row of the grants editor: one permission module of one role."""

    can_view = forms.BooleanField(label=_("Query"), required=False)
    can_change = forms.BooleanField(label=_("Add / delete / modify"), required=False)
    can_analyse = forms.BooleanField(label=_("Analysis & statistics"), required=False)
    scope = forms.ChoiceField(label=_("Data scope"), choices=DataScope.choices, initial=DataScope.UNIT)
    custom_units = UnitMultipleChoiceField(
        label=_("Custom org units"), queryset=OrgUnit.objects.order_by("path"), required=False,
    )
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=DateInput())
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=DateInput())

    def __init__(self, *args: Any, module=None, unit_queryset=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.module = module
        if unit_queryset is not None:
            self.fields["custom_units"].queryset = unit_queryset
        self.fields["custom_units"].widget.attrs.update(size=4)
        for name in ("scope", "custom_units"):
            self.fields[name].widget.attrs["class"] += " form-select-sm"
        for name in ("valid_from", "valid_to"):
            self.fields[name].widget.attrs["class"] += " form-control-sm"

    @property
    def granted(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("can_view") or data.get("can_change") or data.get("can_analyse"))


# --- business lines ----------------------------------------------------------------------------


class BusinessLineForm(ServiceModelForm):
    class Meta:
        model = BusinessLine
        fields = ["code", "name", "sort_order", "enabled"]


class BusinessTypeForm(ServiceModelForm):
    class Meta:
        model = BusinessType
        fields = ["line", "code", "name", "sort_order", "enabled"]
