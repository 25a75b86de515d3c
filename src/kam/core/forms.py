"""Form helpers shared by every app's pages.

- :func:`restrict_choices` narrows every model-choice field of a form to what the user may see
  (R-PERM-1: form dropdowns start from ``.restrict(user, action)`` like lists do).
- :class:`ServiceModelForm` is a ``ModelForm`` used only to collect and clean input: it never
  writes, and leaves model validation to the service the view calls, whose
  ``ValidationError`` is shown on the named field (see ``kam.core.views.ObjectEditView``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


def restrict_choices(form: forms.BaseForm, user: Any, action: str = "view",
                     actions: dict[str, str] | None = None) -> None:
    """Restrict the queryset of each model-choice field whose model is scoped.

    ``actions`` maps a field name to the action its choices need (e.g. ``{"parent": "change"}``).
    """
    actions = actions or {}
    for name, field in form.fields.items():
        queryset = getattr(field, "queryset", None)
        if queryset is None or not hasattr(queryset, "restrict"):
            continue
        field.queryset = queryset.restrict(user, actions.get(name, action))


def _is_default_blank(label: Any) -> bool:
    """Django's placeholder of an empty choice ("---------" / "- Select an option -")."""
    from django.db.models.fields import BLANK_CHOICE_LABEL

    return label is not None and str(label) in ("---------", str(BLANK_CHOICE_LABEL))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class BootstrapMixin:
    """Adds Bootstrap 5 classes to the widgets of a form."""

    def _bootstrap(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            if _is_default_blank(getattr(field, "empty_label", None)):
                field.empty_label = _("(choose)")
            elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
                choices = list(field.choices)
                if choices and choices[0][0] == "" and _is_default_blank(choices[0][1]):
                    field.choices = [("", _("(choose)")), *choices[1:]]
            widget = field.widget
            if isinstance(widget, forms.DateInput) and not isinstance(widget, DateInput):
                field.widget = widget = DateInput(widget.attrs)
            if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
                css = "form-check-input" if isinstance(widget, forms.CheckboxInput) else ""
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                existing = widget.attrs.get("class", "")
                widget.attrs["class"] = f"{existing} {css}".strip()


class KamForm(BootstrapMixin, forms.Form):
    """A plain form with Bootstrap widgets; ``user`` (optional) restricts its choices."""

    choice_actions: dict[str, str] = {}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None:
            restrict_choices(self, user, actions=self.choice_actions)
        self._bootstrap()


class ServiceModelForm(BootstrapMixin, forms.ModelForm):
    """A ``ModelForm`` that only cleans input; the view hands ``cleaned_data`` to a service.

    Model validation (``full_clean``, unique checks) is the service's job, so it runs once, in
    the same transaction as the write, for pages, API and imports alike.
    """

    choice_actions: dict[str, str] = {}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None:
            restrict_choices(self, user, actions=self.choice_actions)
        self._bootstrap()

    def _post_clean(self) -> None:  # no construct_instance / full_clean here: the service does it
        return None

    def save(self, commit: bool = True):  # pragma: no cover - guard
        raise NotImplementedError("ServiceModelForm does not save; call a service.")
