"""Template tags lists include: ``{% load exchange %}``.

- ``{% scenes "org.users" %}`` — the 场景 dropdown (built-in scenes, saved and shared views, and
  "save the current filter as a view"). The first argument is the list key; when it is a spec
  code the spec's model decides whether 我负责的 / 下属负责的 are offered.
- ``{% exchange_buttons "org.users" %}`` — 导出 (the current filter) and 导入 buttons, each shown
  only with the permission it needs.
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from kam.org.permissions import has_perm

from ..scenes import clean_query, scene_menu
from ..specs import ImportSpec, get_spec

register = template.Library()


@register.inclusion_tag("exchange/_scenes.html", takes_context=True)
def scenes(context, list_key: str, model=None):
    request = context["request"]
    spec = get_spec(list_key)
    model = model or (spec.model if spec is not None else None)
    data = scene_menu(request.user, list_key, model, request.GET.urlencode())
    data.update({"request": request, "list_path": request.path, "csrf_token": context.get("csrf_token")})
    return data


@register.inclusion_tag("exchange/_buttons.html", takes_context=True)
def exchange_buttons(context, spec_code: str):
    request = context["request"]
    spec = get_spec(spec_code)
    user = request.user
    if spec is None:
        return {}
    query = clean_query(request.GET)
    export_url = reverse("exchange:export", args=[spec.code]) + (f"?{query}" if query else "")
    can_import = isinstance(spec, ImportSpec) and has_perm(user, spec.module, "change")
    return {
        "export_url": export_url if has_perm(user, spec.module, "view") else "",
        "import_url": (reverse("exchange:import", args=[spec.code]) + f"?next={request.get_full_path()}"
                       if can_import else ""),
    }
