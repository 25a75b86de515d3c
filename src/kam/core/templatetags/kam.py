"""Template helpers of the platform's pages."""

from __future__ import annotations

from django import template
from django.utils.http import urlencode

register = template.Library()

_SUBSYSTEM_ICONS = {
    "marketing": "bi-megaphone",
    "customers": "bi-people",
    "usage": "bi-graph-up",
    "kpi": "bi-speedometer2",
    "processes": "bi-diagram-3",
    "sharing": "bi-folder2-open",
    "system": "bi-gear",
}


@register.filter
def subsystem_icon(code: str) -> str:
    return _SUBSYSTEM_ICONS.get(code, "bi-grid")


@register.filter
def startswith(value: str, prefix: str) -> bool:
    return bool(prefix) and str(value).startswith(str(prefix))


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with ``changes`` applied (``None`` removes a key)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"


@register.simple_tag(takes_context=True)
def sort_url(context, column: str) -> str:
    """Link of a sortable column header: ascending first, then descending."""
    current = context.get("sort", "")
    new = f"-{column}" if current == column else column
    return query_with(context, sort=new, page=None)


@register.simple_tag(takes_context=True)
def sort_icon(context, column: str) -> str:
    current = context.get("sort", "")
    if current == column:
        return "bi-sort-up"
    if current == f"-{column}":
        return "bi-sort-down"
    return "bi-arrow-down-up text-body-tertiary"


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None
