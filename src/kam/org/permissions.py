"""Grants → query objects. Used only through ``RestrictedQuerySet.restrict`` and ``has_perm``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Model, Q

from kam.core.querysets import ScopeSpec

from .models import DataScope, Grant, User

_CACHE_ATTR = "_kam_grants"
_SUBS_ATTR = "_kam_subordinates"


def active_grants(user: User) -> dict[str, list[Grant]]:
    """The user's effective grants by module, cached on the user object for one request."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    grants: dict[str, list[Grant]] = defaultdict(list)
    qs = (
        Grant.objects.effective()
        .filter(role__users=user)
        .prefetch_related("custom_units")
        .only("id", "module", "can_view", "can_change", "can_analyse", "scope", "role_id")
    )
    for grant in qs:
        grants[grant.module].append(grant)
    result = dict(grants)
    setattr(user, _CACHE_ATTR, result)
    return result


def clear_cache(user: User) -> None:
    for attr in (_CACHE_ATTR, _SUBS_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def subordinate_ids(user: User) -> set[int]:
    """Ids of the user's direct and indirect subordinates (through ``User.superior``)."""
    cached = getattr(user, _SUBS_ATTR, None)
    if cached is not None:
        return cached
    found: set[int] = set()
    frontier = {user.pk}
    while frontier:
        nxt = set(User.objects.filter(superior_id__in=frontier).values_list("id", flat=True)) - found - {user.pk}
        found |= nxt
        frontier = nxt
    setattr(user, _SUBS_ATTR, found)
    return found


def has_perm(user: Any, module: str, action: str = "view") -> bool:
    """Whether the user holds any effective grant of ``module`` allowing ``action``."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(g.allows(action) for g in active_grants(user).get(module, []))


def _prefix(field: str) -> str:
    return f"{field}__" if field else ""


def _org_subtree_q(spec: ScopeSpec, path: str) -> Q:
    return Q(**{f"{_prefix(spec.org or '')}path__startswith": path})


def _org_unit_q(spec: ScopeSpec, unit_id: int | None) -> Q:
    if spec.org == "":
        return Q(pk=unit_id)
    return Q(**{f"{spec.org}": unit_id})


def _owner_q(spec: ScopeSpec, ids: set[int]) -> Q:
    field = spec.owner if spec.owner else "pk"
    return Q(**{f"{field}__in": sorted(ids)})


def _grant_q(user: User, spec: ScopeSpec, grant: Grant) -> Q | None:
    """The records one grant reaches; ``Q()`` means all, ``None`` nothing."""
    scope = grant.scope
    if scope == DataScope.ALL or spec.org is None and spec.owner is None:
        return Q()
    unit = user.org_unit
    if scope == DataScope.CUSTOM:
        units = list(grant.custom_units.all())
        if spec.org is None:
            return None
        q = Q(pk__in=[])
        for u in units:
            q |= _org_subtree_q(spec, u.path)
        return q
    if scope in (DataScope.OWN, DataScope.OWN_AND_SUBORDINATES):
        ids = {user.pk}
        if scope == DataScope.OWN_AND_SUBORDINATES:
            ids |= subordinate_ids(user)
        if spec.owner is not None:
            return _owner_q(spec, ids)
        # A model with no owner: "own" falls back to the user's own unit.
        return _org_unit_q(spec, unit.pk) if unit else None
    if unit is None or spec.org is None:
        return None
    if scope == DataScope.UNIT:
        return _org_unit_q(spec, unit.pk)
    if scope == DataScope.SUBTREE:
        return _org_subtree_q(spec, unit.path)
    return None


def scope_q(user: Any, model: type[Model], action: str) -> Q | None:
    """The ``Q`` selecting what ``user`` may ``action`` in ``model``; ``None`` for nothing."""
    spec: ScopeSpec = model.kam_scope  # type: ignore[attr-defined]
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    grants = [g for g in active_grants(user).get(spec.module, []) if g.allows(action)]
    if not grants:
        return None
    combined: Q | None = None
    for grant in grants:
        q = _grant_q(user, spec, grant)
        if q is None:
            continue
        if not q:  # an empty Q() reaches everything
            return Q()
        combined = q if combined is None else combined | q
    return combined
