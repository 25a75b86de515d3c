"""Forms of the system app, and the dictionary field other apps' forms use."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.core.forms import ServiceModelForm

from .models import Announcement, DictType, DictValue, Parameter
from .selectors import dict_default, dict_values


class DictChoiceField(forms.ChoiceField):
    """A choice among the enabled values of a dictionary, with its default value preselected::

        level = DictChoiceField("customer_level", label=_("Customer level"))

    The choices are read when the form is shown (cached per request), not when it is defined.
    """

    def __init__(self, type_code: str, *, include_blank: bool | None = None, **kwargs):
        self.type_code = type_code
        required = kwargs.get("required", True)
        blank = (not required) if include_blank is None else include_blank

        def choices():
            values = dict_values(type_code)
            return ([("", "---------")] if blank else []) + values

        kwargs.setdefault("initial", lambda: dict_default(type_code))
        super().__init__(choices=choices, **kwargs)


def dict_field(type_code: str, **kwargs) -> DictChoiceField:
    """Shorthand for :class:`DictChoiceField`."""
    return DictChoiceField(type_code, **kwargs)


class DictTypeForm(ServiceModelForm):
    class Meta:
        model = DictType
        fields = ["code", "name", "enabled", "remark"]


class DictValueForm(ServiceModelForm):
    class Meta:
        model = DictValue
        fields = ["value", "label", "sort_order", "tag_colour", "css_class", "is_default", "enabled", "remark"]
        help_texts = {"tag_colour": _("primary, success, info, warning, danger, secondary, dark or #rrggbb")}


class ParameterForm(ServiceModelForm):
    class Meta:
        model = Parameter
        fields = ["name", "value", "remark"]


class ParameterCreateForm(ServiceModelForm):
    class Meta:
        model = Parameter
        fields = ["key", "name", "value_type", "value", "remark"]


def _local_datetime() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AnnouncementForm(ServiceModelForm):
    publish_at = forms.DateTimeField(label=_("publish at"), required=False,
                                     widget=_local_datetime(),
                                     help_text=_("Empty: from the moment it is published."))
    expire_at = forms.DateTimeField(label=_("expire at"), required=False,
                                    widget=_local_datetime(),
                                    help_text=_("Empty: never."))

    class Meta:
        model = Announcement
        fields = ["title", "kind", "content", "publish_at", "expire_at", "for_all", "units"]
        widgets = {"content": forms.Textarea(attrs={"rows": 8})}
