from django import template

register = template.Library()


@register.filter
def model_label(obj) -> str:
    """``"app_label.modelname"`` of a model instance (for the history URL)."""
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


@register.simple_tag
def history_url(obj) -> str:
    from django.urls import reverse

    return reverse("audit:history", args=[model_label(obj), obj.pk])
