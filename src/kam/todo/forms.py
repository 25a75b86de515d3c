"""Forms of the task-list pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.forms import KamForm, ServiceModelForm

from .models import LEAD_UNIT_MINUTES, Assignee, LeadUnit, TodoItem
from .selectors import event_types


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class TodoItemForm(ServiceModelForm):
    """领导交办: the assignee is chosen among the users within the leader's change scope."""

    assignee = forms.ModelChoiceField(label=pgettext_lazy("todo", "Assignee"),
                                      queryset=Assignee.objects.filter(is_active=True))
    due_at = forms.DateTimeField(label=_("Due time"), widget=DateTimeInput(),
                                 input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
    choice_actions = {"assignee": "change"}

    class Meta:
        model = TodoItem
        fields = ["assignee", "title", "due_at", "detail"]
        labels = {"title": pgettext_lazy("todo", "Title"), "detail": _("Detail")}
        widgets = {"detail": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk:
            del self.fields["assignee"]  # an assigned item stays with its assignee
        else:
            self.fields["assignee"].label_from_instance = lambda u: f"{u.name or u.username} ({u.username})"


class SubscriptionForm(KamForm):
    """订阅: an event type and the lead time (提前提醒)."""

    source = forms.ChoiceField(label=_("Event type"))
    lead_value = forms.IntegerField(label=_("Remind in advance"), min_value=0, initial=1)
    lead_unit = forms.ChoiceField(label=_("Unit"), choices=LeadUnit.choices, initial=LeadUnit.HOURS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every event type is listed; one the user may not query is refused with a message (R-WORK-4).
        self.fields["source"].choices = [("", _("(choose)"))] + [(s.code, s.label) for s in event_types()]

    @property
    def lead_minutes(self) -> int:
        return self.cleaned_data["lead_value"] * LEAD_UNIT_MINUTES[self.cleaned_data["lead_unit"]]
