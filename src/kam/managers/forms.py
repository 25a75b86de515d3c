"""Forms of the account-manager pages. They only collect and clean input; the services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.forms import DateInput, KamForm
from kam.org.models import BusinessLine, OrgUnit, User

from .models import AccountManager, Education


def gender_choices() -> list[tuple[str, str]]:
    from kam.system.selectors import dict_values

    return [("", "---------"), *dict_values("gender")]


class ProfileFieldsMixin(forms.Form):
    """The basic information of a profile (基本信息)."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    employee_no = forms.CharField(label=_("Employee number"), max_length=30)
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=gender_choices)
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DateInput())
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    education = forms.ChoiceField(label=_("Education"), choices=[("", "---------"), *Education.choices],
                                  required=False)
    title = forms.CharField(label=_("Position"), max_length=60, required=False)
    hire_date = forms.DateField(label=_("Hire date"), required=False, widget=DateInput())
    business_lines = forms.ModelMultipleChoiceField(
        label=_("Business lines served"), queryset=BusinessLine.objects.filter(enabled=True), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    remarks = forms.CharField(label=_("Remarks"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class BasicInfoForm(ProfileFieldsMixin, KamForm):
    """Step 1 of the wizard: the login (new or existing) and the basic information."""

    MODE_NEW = "new"
    MODE_EXISTING = "existing"

    login_mode = forms.ChoiceField(
        label=_("Login"), widget=forms.RadioSelect, initial=MODE_NEW,
        choices=[(MODE_NEW, _("Open a new login")), (MODE_EXISTING, _("Use an existing user"))],
    )
    username = forms.CharField(label=_("Account number"), max_length=150, required=False)
    org_unit = forms.ModelChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.all(), required=False)
    superior = forms.CharField(label=_("Direct superior"), max_length=150, required=False,
                               help_text=_("Account number of the superior."))
    user = forms.CharField(label=_("Existing user"), max_length=150, required=False,
                           help_text=_("Account number of a user without an account-manager profile."))

    field_order = ["login_mode", "username", "org_unit", "superior", "user", "name", "employee_no", "gender",
                   "birth_date", "phone", "email", "education", "title", "hire_date", "business_lines",
                   "remarks"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False

    def _account(self, field: str) -> User | None:
        """The user of the account number typed into ``field``, among the users one may see."""
        account = (self.cleaned_data.get(field) or "").strip()
        if not account:
            return None
        users = User.objects.restrict(self.user, "view") if self.user is not None else User.objects.all()
        found = users.filter(username=account).first()
        if found is None:
            raise forms.ValidationError(_("No user with the account number “%(account)s”.") % {"account": account})
        return found

    def clean_superior(self) -> User | None:
        return self._account("superior")

    def clean_user(self) -> User | None:
        user = self._account("user")
        if user is not None and AccountManager.objects.filter(user=user).exists():
            raise forms.ValidationError(_("This user already has an account-manager profile."))
        return user

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("login_mode") == self.MODE_EXISTING:
            if not data.get("user"):
                self.add_error("user", _("Choose the user."))
        else:
            if not data.get("username"):
                self.add_error("username", _("Enter the account number."))
            elif User.objects.filter(username=data["username"]).exists():
                self.add_error("username", _("This account number is already taken."))
            if not data.get("org_unit"):
                self.add_error("org_unit", _("Choose the organisation unit."))
            if not data.get("name"):
                self.add_error("name", _("Enter the name."))
        employee_no = data.get("employee_no")
        if employee_no and AccountManager.objects.filter(employee_no=employee_no).exists():
            self.add_error("employee_no", _("This employee number is already taken."))
        return data


class ProfileForm(ProfileFieldsMixin, KamForm):
    """The edit page of a profile."""

    def __init__(self, *args: Any, instance: AccountManager | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {})
            kwargs["initial"] = {
                "name": instance.user.name, "employee_no": instance.employee_no, "gender": instance.gender,
                "birth_date": instance.birth_date, "phone": instance.user.phone, "email": instance.user.email,
                "education": instance.education, "title": instance.title, "hire_date": instance.hire_date,
                "business_lines": list(instance.business_lines.all()), "remarks": instance.remarks,
                **kwargs["initial"],
            }
        super().__init__(*args, **kwargs)


class _PeriodForm(KamForm):
    """A training or work-experience row: a period plus the fields of the subclass."""

    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(label=_("End date"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot lie before the start date."))
        return data


class TrainingForm(_PeriodForm):
    organiser = forms.CharField(label=_("Organiser"), max_length=100, required=False)
    course = forms.CharField(label=_("Course"), max_length=200)
    result = forms.CharField(label=_("Result / certificate"), max_length=200, required=False)


class ExperienceForm(_PeriodForm):
    employer = forms.CharField(label=_("Employer"), max_length=200)
    position = forms.CharField(label=_("Position"), max_length=100, required=False)
    description = forms.CharField(label=_("Work description"), max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class ConfirmForm(KamForm):
    """The last step: the one-time initial password of a new login."""

    password = forms.CharField(
        label=_("Initial password"), required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("One-time: the manager must change it at first login. Leave empty to have one generated "
                    "and shown once."),
    )


class DisableForm(KamForm):
    reason = forms.CharField(label=_("Reason for disabling"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))
