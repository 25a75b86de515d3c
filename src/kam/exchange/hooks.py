"""Export, import and saved views on every ``kam.core.views.ObjectListView``.

Registered through the list hooks of :mod:`kam.core.views` (no list needs code of its own):

- a response hook: ``?scene=mine|subordinates`` narrows the list (我负责的 / 下属负责的) and
  ``?export=xlsx`` answers with the export of exactly what the list shows —
  ``view.get_filtered_queryset()`` (scope, filter, scene, sort);
- a toolbar hook: the buttons 导出, 导入 (with the module's change grant) and 场景 (the page of
  the list's saved views).

The spec of a list is ``view.export_spec`` (a spec code) or else the first registered spec of the
list's model.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from kam.org.permissions import has_perm

from .scenes import apply_scene, clean_query, owner_field
from .specs import SPECS, ExportSpec, ImportSpec


def spec_for_view(view: Any) -> ExportSpec | None:
    code = getattr(view, "export_spec", None)
    if code:
        return SPECS.get(code)
    model = getattr(view, "model", None)
    return next((s for s in SPECS.values() if s.model is model), None)


def response_hook(view: Any):
    request = view.request
    scene = request.GET.get("scene")
    if scene and owner_field(view.model):
        original = view.get_filtered_queryset

        def scoped_scene():
            return apply_scene(original(), request.user, scene)

        view.get_filtered_queryset = scoped_scene
    if request.GET.get("export") != "xlsx":
        return None
    spec = spec_for_view(view)
    if spec is None:
        return None
    from .views import export_response

    return export_response(request, spec.code, queryset=view.get_filtered_queryset(),
                           filterset=getattr(view, "filterset_class", None))


def toolbar_hook(view: Any) -> list:
    from kam.core.views import ToolbarButton

    request = view.request
    spec = spec_for_view(view)
    buttons = []
    query = clean_query(request.GET)
    list_url = request.path + (f"?{query}" if query else "")
    buttons.append(ToolbarButton(
        _("Views"), reverse("exchange:scenes", args=[view.get_list_id()]) + "?" + urlencode({"next": list_url}),
        icon="funnel"))
    if spec is None or not getattr(view, "exchange_buttons", True):
        return buttons
    export_query = urlencode([*((k, v) for k in request.GET for v in request.GET.getlist(k) if k != "page"),
                              ("export", "xlsx")])
    buttons.append(ToolbarButton(_("Export"), f"{request.path}?{export_query}", icon="file-earmark-arrow-down"))
    if isinstance(spec, ImportSpec) and has_perm(request.user, spec.module, "change"):
        buttons.append(ToolbarButton(
            _("Import"), reverse("exchange:import", args=[spec.code]) + "?" + urlencode({"next": request.path}),
            icon="file-earmark-arrow-up"))
    return buttons


def register() -> None:
    try:
        from kam.core.views import register_list_response_hook, register_list_toolbar_hook
    except ImportError:  # pragma: no cover - the generic views are part of the core app
        return
    register_list_response_hook(response_hook)
    register_list_toolbar_hook(toolbar_hook)
