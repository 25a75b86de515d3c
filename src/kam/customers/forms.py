"""Forms of 客户管理: they only collect and clean input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.forms import DateInput, KamForm
from kam.org.models import BusinessLine, OrgLevel, OrgUnit, User

from .models import AccessContent, Contact


def _dict_choices(type_code: str, blank: bool = True) -> list[tuple[str, str]]:
    from kam.system.selectors import dict_values

    return ([("", "---------")] if blank else []) + dict_values(type_code)


class CustomerDataForm(KamForm):
    """Basic customer information (R-CUST-1: 总部客户 ⇒ 钻石级客户; R-CUST-3: the city is fixed to
    the applicant's, only the county is chosen)."""

    name = forms.CharField(label=_("Customer name"), max_length=200)
    short_name = forms.CharField(label=_("Short name"), max_length=100, required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    is_headquarters = forms.BooleanField(label=_("Headquarters customer"), required=False,
                                         help_text=_("A headquarters customer is a diamond customer."))
    level = forms.ChoiceField(label=_("Customer level"), required=False)
    county = forms.ModelChoiceField(label=_("County"), queryset=OrgUnit.objects.none(), required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    remarks = forms.CharField(label=_("Remarks"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, city: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.city = city
        self.fields["industry"].choices = _dict_choices("industry")
        self.fields["level"].choices = _dict_choices("customer_level")
        # The counties of the applicant's city are the region choices of R-CUST-3, not a data list.
        self.fields["county"].queryset = OrgUnit.objects.filter(parent=city, level=OrgLevel.COUNTY)
        self.fields["level"].widget.attrs["data-diamond"] = "diamond"
        self.fields["is_headquarters"].widget.attrs["data-headquarters"] = "1"

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["county"] = data["county"].pk if data.get("county") else None
        return data


class CustomerEditForm(CustomerDataForm):
    status = forms.ChoiceField(label=_("Status"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _dict_choices("customer_status", blank=False)


class RelationshipForm(KamForm):
    """业务关系: the account manager offered is one of the chosen department's managers; the
    contact is picked (read-only copy) or typed."""

    department = forms.ModelChoiceField(label=_("Provider department"), queryset=OrgUnit.objects.none())
    manager = forms.ModelChoiceField(label=_("Account manager"), queryset=User.objects.none())
    contact = forms.ModelChoiceField(label=_("Pick a customer contact"), queryset=Contact.objects.none(),
                                     required=False)
    contact_name = forms.CharField(label=_("Contact name"), max_length=60, required=False)
    contact_title = forms.CharField(label=_("Contact title"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_email = forms.CharField(label=_("Contact e-mail"), max_length=254, required=False)
    business_lines = forms.ModelMultipleChoiceField(label=_("Business lines"), widget=forms.CheckboxSelectMultiple,
                                                    queryset=BusinessLine.objects.filter(enabled=True))

    def __init__(self, *args: Any, city: OrgUnit, user: Any, customer_pk: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The provider departments and their managers are those of the applicant's city (R-CUST-3).
        self.fields["department"].queryset = OrgUnit.objects.filter(path__startswith=city.path, enabled=True)
        managers = User.objects.filter(
            org_unit__path__startswith=city.path, manager_profile__status="enabled", is_active=True)
        department = self.data.get(self.add_prefix("department")) or self.initial.get("department")
        unit = OrgUnit.objects.filter(pk=getattr(department, "pk", department)).first() if str(
            getattr(department, "pk", department) or "").isdigit() else None
        if unit is not None:
            managers = managers.filter(org_unit__path__startswith=unit.path)
        self.fields["manager"].queryset = managers.select_related("org_unit").order_by("org_unit__path", "name")
        self.fields["manager"].label_from_instance = lambda u: f"{u.name}（{u.org_unit.name}）"
        # Only contacts the user may see can be picked (a known customer outside the user's scope:
        # its contacts are business information, R-CUST-5 — the contact is typed instead).
        self.fields["contact"].queryset = (Contact.objects.restrict(user, "view").filter(customer_id=customer_pk)
                                           if customer_pk else Contact.objects.none())
        if not customer_pk:
            del self.fields["contact"]
        self.fields["department"].widget.attrs.update({
            "hx-get": reverse("customers:manager_options"), "hx-trigger": "change", "hx-target": "#id_manager",
            "hx-swap": "outerHTML"})

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["department"] = data["department"].pk
        data["manager"] = data["manager"].pk
        contact = data.pop("contact", None)
        data["contact"] = contact.pk if contact else None
        data["business_lines"] = [b.pk for b in data["business_lines"]]
        return data


class ContactForm(KamForm):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    title = forms.CharField(label=_("Job title"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)


class OpinionForm(KamForm):
    opinion = forms.CharField(label=_("Opinion"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(KamForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    failed = forms.BooleanField(label=_("Development failed (no re-application)"), required=False)


class NumberForm(KamForm):
    key_number = forms.CharField(label=_("Key-customer number"), max_length=40)


class AccessRequestForm(KamForm):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    content = forms.ChoiceField(label=_("Requested content"), choices=AccessContent.choices,
                                widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class AccessApproveForm(KamForm):
    granted_content = forms.ChoiceField(label=_("Granted content"), choices=AccessContent.choices)
    expires_on = forms.DateField(label=_("Access until"), required=False, widget=DateInput)
    opinion = forms.CharField(label=_("Opinion"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class AccessRejectForm(KamForm):
    opinion = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class SegmentForm(KamForm):
    org_unit = forms.ModelChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.none())
    prefix = forms.CharField(label=_("Prefix"), max_length=20, required=False)
    start = forms.IntegerField(label=_("First number"), min_value=0)
    end = forms.IntegerField(label=_("Last number"), min_value=0)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from kam.org.permissions import active_grants

        # The region nodes and departments a segment may be allocated to, within the reach of
        # the user's segment grant (the service re-checks the scope).
        units = OrgUnit.objects.filter(
            Q(kind="region") | Q(is_key_account_centre=True) | Q(business_line__isnull=False))
        everything = user is not None and (user.is_superuser or any(
            g.scope == "all" for g in active_grants(user).get("customer_segments", [])))
        if not everything:
            unit = getattr(user, "org_unit", None)
            units = units.filter(path__startswith=unit.path) if unit is not None else units.none()
        self.fields["org_unit"].queryset = units
