"""Forms of the process pages."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core import clock
from kam.core.forms import DateInput, KamForm

from .models import ProcessDefinition


class JsonObjectField(forms.CharField):
    """A JSON object typed as text (empty = ``{}``)."""

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        if not text:
            return {}
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a JSON object, e.g. {\"amount\": 300}.")) from exc
        if not isinstance(data, dict):
            raise forms.ValidationError(_("Enter a JSON object, e.g. {\"amount\": 300}."))
        return data


class StartForm(KamForm):
    """人工调度: start an instance by hand."""

    business_key = forms.CharField(label=_("Business key"), max_length=100)
    title = forms.CharField(label=pgettext_lazy("process", "Title"), max_length=200, required=False)
    data = JsonObjectField(label=_("Data (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("Values the process conditions read, e.g. {\"amount\": 300}."))


class RerouteForm(KamForm):
    """疏导: move a stuck instance to another step and/or give its open task to another user."""

    target_node = forms.ChoiceField(label=_("Move to step"), required=False)
    to_user = forms.CharField(label=_("Assign to (account number)"), required=False, max_length=150)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_node"].choices = [("", _("(stay at the current step)")), *steps]


class StatisticsForm(KamForm):
    """流程监控: the period (and optionally one process) of the per-step statistics."""

    definition = forms.ModelChoiceField(label=_("Process"), required=False, queryset=ProcessDefinition.objects.none())
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("Until"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["definition"].queryset = ProcessDefinition.objects.order_by("name")
        for name, value in self.defaults().items():
            self.fields[name].initial = value

    @staticmethod
    def defaults() -> dict:
        today = clock.today()
        return {"definition": None, "start": today.replace(day=1), "end": today}

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end lies before the start."))
        return data


class StepDataForm(KamForm):
    """The fields a step records (node configuration ``fields``), shown on the task page. Only for
    display: ``services.task_complete`` checks the values, so reject and send back need none."""

    prefix = "step"
    use_required_attribute = False

    def __init__(self, *args, fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        from . import stepdata

        for spec in fields:
            kind, label = spec.get("type", "text"), stepdata.label(spec)
            options = {"label": label, "required": bool(spec.get("required")), "help_text": spec.get("help", "")}
            if kind == "number":
                field = forms.DecimalField(**options)
            elif kind == "choice":
                field = forms.ChoiceField(choices=[("", "---------"), *stepdata.choices(spec)], **options)
            elif kind == "date":
                field = forms.DateField(widget=DateInput(), **options)
            elif kind == "user":
                field = forms.CharField(max_length=150, **options)
                field.help_text = field.help_text or _("Account number")
            else:
                field = forms.CharField(max_length=2000, **options)
            self.fields[spec["name"]] = field
        self._bootstrap()
