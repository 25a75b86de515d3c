"""Template helpers of the system app.

``{% load system_tags %}`` then:

- ``{% dict_tag "customer_level" customer.level %}`` — the value as a coloured Bootstrap badge;
- ``{{ customer.industry|dict_label:"industry" }}`` — the value's label as plain text;
- ``{% announcements_panel %}`` — the home-page panel of current announcements.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from kam.system.models import BOOTSTRAP_COLOURS
from kam.system.selectors import announcements_for, dict_entry
from kam.system.selectors import dict_label as _dict_label

register = template.Library()


def badge_html(entry, fallback: str = ""):
    if entry is None:
        return format_html('<span class="badge text-bg-light border">{}</span>', fallback) if fallback else ""
    extra = f" {entry.css_class}" if entry.css_class else ""
    colour = entry.tag_colour or "secondary"
    if colour in BOOTSTRAP_COLOURS:
        return format_html('<span class="badge text-bg-{}{}">{}</span>', colour, extra, entry.label)
    return format_html('<span class="badge{}" style="background-color: {}; color: #fff">{}</span>',
                       extra, colour, entry.label)


@register.simple_tag
def dict_tag(type_code: str, value) -> str:
    """Render ``value`` of the dictionary ``type_code`` as its coloured tag (the raw value when unknown)."""
    if value is None or value == "":
        return ""
    return badge_html(dict_entry(type_code, value), str(value))


@register.filter
def dict_label(value, type_code: str) -> str:
    return _dict_label(type_code, value)


@register.inclusion_tag("system/_announcements_panel.html", takes_context=True)
def announcements_panel(context, limit: int = 8):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return {"announcements": list(announcements_for(user, limit=limit)) if user else [], "request": request}
