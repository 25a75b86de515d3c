"""场景 — saved views of a list.

A list offers, in a small dropdown (``exchange/_scenes.html``):

- the built-in scenes 我负责的 (``?scene=mine``: records owned by me) and 下属负责的
  (``?scene=subordinates``: records owned by my direct and indirect subordinates), for models
  whose ``kam_scope`` names an owner;
- the user's own saved views and the views others shared, each a saved query string.

A scene only narrows what the list shows: the data scope is applied by the list's queryset
(``.restrict(user, "view")``) before, so a scene can never show more than the scope allows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Model, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

SCENE_MINE = "mine"
SCENE_SUBORDINATES = "subordinates"
BUILTIN_SCENES = ((SCENE_MINE, _("Mine")), (SCENE_SUBORDINATES, _("My subordinates'")))
# Parameters that are not part of a filter.
NOT_FILTERS = {"page", "per_page", "export", "csrfmiddlewaretoken", "format"}


def owner_field(model: type[Model]) -> str | None:
    """The lookup to the owning user (``"pk"`` for the user model itself), or ``None``."""
    spec = getattr(model, "kam_scope", None)
    if spec is None or spec.owner is None:
        return None
    return spec.owner or "pk"


def builtin_scenes(model: type[Model]) -> list[tuple[str, Any]]:
    return list(BUILTIN_SCENES) if owner_field(model) else []


def apply_scene(qs: QuerySet, user: Any, scene: str | None, *, list_key: str | None = None) -> QuerySet:
    """Narrow ``qs`` to a built-in scene (a saved view is applied through its query string)."""
    if not scene:
        return qs
    field = owner_field(qs.model)
    if field is None:
        return qs
    if scene == SCENE_MINE:
        return qs.filter(**{field: user.pk})
    if scene == SCENE_SUBORDINATES:
        from kam.org.permissions import subordinate_ids

        return qs.filter(**{f"{field}__in": sorted(subordinate_ids(user))})
    return qs


def clean_query(params: Any) -> str:
    """A query string without paging and other non-filter parameters."""
    if isinstance(params, str):
        params = QueryDict(params.lstrip("?"))
    if isinstance(params, QueryDict):
        items = [(k, v) for k in params for v in params.getlist(k)]
    else:
        items = []
        for k, v in (params or {}).items():
            items += [(k, x) for x in v] if isinstance(v, list | tuple) else [(k, v)]
    return urlencode([(k, v) for k, v in items if k not in NOT_FILTERS and v not in (None, "")])


def saved_views_for(user: Any, list_key: str) -> QuerySet:
    """The user's own saved views of a list and those others shared."""
    from .models import SavedView

    return SavedView.objects.filter(list_key=list_key).filter(Q(user=user) | Q(shared=True)).select_related("user")


def scene_menu(user: Any, list_key: str, model: type[Model] | None, current_query: str = "") -> dict[str, Any]:
    """Context of the dropdown: built-in scenes, saved views, the active one."""
    current = clean_query(current_query)
    params = QueryDict(current)
    items = []
    for code, label in builtin_scenes(model) if model is not None else []:
        items.append({"label": label, "query": urlencode({"scene": code}), "builtin": True,
                      "active": params.get("scene") == code})
    for view in saved_views_for(user, list_key):
        items.append({"label": view.name, "query": view.query, "builtin": False, "id": view.pk,
                      "shared": view.shared, "own": view.user_id == user.pk,
                      "active": bool(current) and clean_query(view.query) == current})
    return {"scene_items": items, "scene_list_key": list_key, "scene_query": current,
            "scene_active": next((i for i in items if i["active"]), None)}
