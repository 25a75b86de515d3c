"""Forms of 工作管理: they only clean input; the views hand ``cleaned_data`` to the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kam.core import clock
from kam.core.forms import DateInput, KamForm
from kam.customers.models import Customer
from kam.org.models import OrgUnit, User

from .models import SUB_RESULTS, Branch, Channel, DndPolicy

DT_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DT_FORMAT)


def dt_field(label, **kw) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=DateTimeInput(), input_formats=[DT_FORMAT, "%Y-%m-%d %H:%M"],
                               **kw)


def find_customer(user: Any, text: str) -> Customer | None:
    """A customer of the user's scope by id, key-customer number or exact / unique partial name."""
    text = (text or "").strip()
    if not text:
        return None
    qs = Customer.objects.restrict(user, "view")
    if text.isdigit():
        found = qs.filter(pk=int(text)).first() or qs.filter(key_number=text).first()
        if found:
            return found
    found = qs.filter(key_number=text).first() or qs.filter(name=text).first()
    if found:
        return found
    matches = list(qs.search(text)[:2])
    return matches[0] if len(matches) == 1 else None


class CustomerLookupMixin:
    def clean_customer(self):
        customer = find_customer(self.user, self.cleaned_data.get("customer"))
        if customer is None:
            raise ValidationError(_("No such customer in your data scope (enter the key-customer number or the "
                                    "full name)."))
        return customer


def manager_choices(user: Any):
    from kam.org.permissions import subordinate_ids

    return User.objects.filter(pk__in=[user.pk, *subordinate_ids(user)], is_active=True).order_by("username")


class WorkItemForm(CustomerLookupMixin, KamForm):
    """工作制定."""

    customer = forms.CharField(label=_("Customer"), help_text=_("Key-customer number or full name."))
    title = forms.CharField(label=_("Work name"), max_length=200)
    channel = forms.ChoiceField(label=_("Work type"), choices=Channel.choices)
    manager = forms.ModelChoiceField(label=_("Account manager"), queryset=User.objects.none(), required=False,
                                     help_text=_("Default: yourself."))
    planned_at = dt_field(_("Start at"), required=False)
    due_at = dt_field(_("Due at"))
    content = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              max_length=2000)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["manager"].queryset = manager_choices(user)
        self.fields["manager"].label_from_instance = lambda u: f"{u.name}（{u.username}）"


def _industries():
    from kam.system.selectors import dict_values

    return [("", _("All")), *dict_values("industry")]


def _levels():
    from kam.system.selectors import dict_values

    return [("", _("All")), *dict_values("customer_level")]


class TaskForm(KamForm):
    """任务: the campaign and its customers (a filter, or an Excel list)."""

    name = forms.CharField(label=_("Task name"), max_length=200)
    channel = forms.ChoiceField(label=_("Work type"), choices=Channel.choices)
    start_on = forms.DateField(label=_("Start date"), widget=DateInput())
    due_on = forms.DateField(label=_("Due date"), widget=DateInput())
    dnd_policy = forms.ChoiceField(label=_("Do-not-disturb customers"), choices=DndPolicy.choices,
                                   initial=DndPolicy.DEFER)
    description = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  max_length=2000)
    industry = forms.ChoiceField(label=_("Industry"), choices=_industries, required=False)
    level = forms.ChoiceField(label=_("Customer level"), choices=_levels, required=False)
    org_unit = forms.ModelChoiceField(label=_("Owning unit (and below)"), queryset=OrgUnit.objects.all(),
                                      required=False)
    manager = forms.CharField(label=_("Account manager (account)"), required=False)
    q = forms.CharField(label=_("Name or key-customer number contains"), required=False)
    customer_file = forms.FileField(label=_("Or import a customer list (Excel)"), required=False,
                                    help_text=_("Fill in the template (columns 大客户号 or 客户名称, one customer a "
                                                "row); the filter is then ignored. Every row is checked first: "
                                                "on any error nothing is saved."))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        unit = getattr(user, "org_unit", None)
        units = OrgUnit.objects.filter(path__startswith=unit.path) if unit else OrgUnit.objects.all()
        self.fields["org_unit"].queryset = units.order_by("path")
        self.fields["org_unit"].label_from_instance = lambda u: ("\u3000" * max(0, u.path.count(".") - 1)) + u.name
        if not self.is_bound:
            today = clock.today()
            self.initial.setdefault("start_on", today)
            self.initial.setdefault("due_on", today + dt.timedelta(days=14))

    def clean_manager(self):
        text = (self.cleaned_data.get("manager") or "").strip()
        if not text:
            return None
        found = User.objects.filter(username=text).first() or User.objects.filter(name=text).first()
        if found is None:
            raise ValidationError(_("No such user."))
        return found

    def criteria(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"industry": d.get("industry") or "", "level": d.get("level") or "",
                "org_unit": d["org_unit"].pk if d.get("org_unit") else None,
                "manager": d["manager"].pk if d.get("manager") else None, "q": d.get("q") or ""}

    def uploaded_list(self) -> bytes | None:
        """The uploaded customer list (read by the import spec ``work.task_customers``), if any."""
        upload = self.cleaned_data.get("customer_file")
        return upload.read() if upload else None


class TaskEditForm(KamForm):
    """Edit a task: the fields that shaped the work items are locked once they are generated."""

    name = forms.CharField(label=_("Task name"), max_length=200)
    channel = forms.ChoiceField(label=_("Work type"), choices=Channel.choices)
    start_on = forms.DateField(label=_("Start date"), widget=DateInput())
    due_on = forms.DateField(label=_("Due date"), widget=DateInput())
    dnd_policy = forms.ChoiceField(label=_("Do-not-disturb customers"), choices=DndPolicy.choices)
    description = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  max_length=2000)

    def __init__(self, *args: Any, task: Any = None, locked: bool = False, **kwargs: Any) -> None:
        from .services import TASK_GENERATION_FIELDS

        kwargs.setdefault("initial", {name: getattr(task, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)
        if locked:
            for name in TASK_GENERATION_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed: the work items have been generated.")


class ExecuteForm(KamForm):
    """The result of a call or visit (R-WORK-2)."""

    branch = forms.ChoiceField(label=_("Execution branch"), choices=Branch.choices, widget=forms.RadioSelect)
    sub_result = forms.ChoiceField(label=_("Execution sub-result"))
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            max_length=2000)

    def __init__(self, *args: Any, channel: str = Channel.CALL, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if channel == Channel.VISIT:
            self.fields["branch"].choices = [(Branch.SUCCESS, Branch.SUCCESS.label),
                                             (Branch.RETRY, _("Can visit again")),
                                             (Branch.CLOSE, _("No more visits"))]
        labels = dict(self.fields["branch"].choices)
        self.fields["sub_result"].choices = [("", _("(choose)"))] + [
            (str(labels[b]), [(code, label) for code, label in subs]) for b, subs in SUB_RESULTS.items()]


class DndForm(KamForm):
    """加入免打扰."""

    starts_at = dt_field(_("From"))
    ends_at = dt_field(_("Until"))
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class AppointmentForm(KamForm):
    """预约."""

    at = dt_field(_("Appointment time"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class CancelForm(KamForm):
    reason = forms.CharField(label=_("Cancel reason"), max_length=500)


def local_now_input() -> str:
    from django.utils import timezone

    return timezone.localtime(clock.now()).strftime(DT_FORMAT)


def default_window() -> tuple[dt.datetime, dt.datetime]:
    from django.utils import timezone

    now = timezone.localtime(clock.now()).replace(second=0, microsecond=0)
    return now, now + dt.timedelta(days=7)
