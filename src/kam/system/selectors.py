"""Reads of the system app. Dictionary and parameter look-ups are cached per request
(see :mod:`kam.system.cache`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core import clock

from .cache import cached
from .models import Announcement, AnnouncementStatus, DictValue, Parameter, UserSession
from .params import PARAMETERS, parse_value

DICTS_KEY = "dicts"
PARAMS_KEY = "params"


@dataclass(frozen=True)
class DictEntry:
    value: str
    label: str
    tag_colour: str
    css_class: str
    is_default: bool
    enabled: bool


def _load_dicts() -> dict[str, list[DictEntry]]:
    catalogue: dict[str, list[DictEntry]] = {}
    rows = (DictValue.objects.filter(dict_type__enabled=True)
            .order_by("dict_type__code", "sort_order", "id")
            .values_list("dict_type__code", "value", "label", "tag_colour", "css_class", "is_default", "enabled"))
    for code, *fields in rows:
        catalogue.setdefault(code, []).append(DictEntry(*fields))
    return catalogue


def dict_entries(type_code: str, *, include_disabled: bool = False) -> list[DictEntry]:
    """The values of an enabled dictionary type in display order."""
    entries = cached(DICTS_KEY, _load_dicts).get(type_code, [])
    return entries if include_disabled else [e for e in entries if e.enabled]


def dict_values(type_code: str) -> list[tuple[str, str]]:
    """``[(value, label), …]`` of the enabled values — for form choices and import templates."""
    return [(e.value, e.label) for e in dict_entries(type_code)]


def dict_entry(type_code: str, value: Any) -> DictEntry | None:
    """The entry of ``value`` (disabled values included: old records still show their label)."""
    if value is None:
        return None
    value = str(value)
    return next((e for e in dict_entries(type_code, include_disabled=True) if e.value == value), None)


def dict_label(type_code: str, value: Any) -> str:
    entry = dict_entry(type_code, value)
    return entry.label if entry else ("" if value is None else str(value))


def dict_default(type_code: str) -> str | None:
    return next((e.value for e in dict_entries(type_code) if e.is_default), None)


def _load_params() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, text, value_type in Parameter.objects.values_list("key", "value", "value_type"):
        try:
            values[key] = parse_value(value_type, text)
        except Exception:  # a hand-edited bad value falls back to the shipped default
            if key in PARAMETERS:
                values[key] = PARAMETERS[key].default
    return values


def param(key: str) -> Any:
    """The typed value of a system parameter; its registered default when not in the database."""
    values = cached(PARAMS_KEY, _load_params)
    if key in values:
        return values[key]
    if key in PARAMETERS:
        return PARAMETERS[key].default
    raise KeyError(_("Unknown parameter “%(key)s”.") % {"key": key})


def announcements_for(user, *, limit: int | None = None) -> QuerySet[Announcement]:
    """Published, current announcements whose audience includes the user's org unit."""
    now = clock.now()
    qs = Announcement.objects.filter(
        Q(status=AnnouncementStatus.PUBLISHED),
        Q(publish_at__isnull=True) | Q(publish_at__lte=now),
        Q(expire_at__isnull=True) | Q(expire_at__gt=now),
    )
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    audience = Q(for_all=True)
    unit = getattr(user, "org_unit", None)
    if unit is not None:
        # The announcement targets the user's unit or one of its ancestors (a chosen unit's subtree).
        ancestors = [int(p) for p in unit.path.split(".") if p]
        audience |= Q(pk__in=Announcement.units.through.objects.filter(orgunit_id__in=ancestors)
                      .values("announcement_id"))
    qs = qs.filter(audience).select_related("created_by").order_by("-publish_at", "-id")
    return qs[:limit] if limit else qs


def session_is_live() -> Exists:
    """True for a ``UserSession`` row whose Django session has not expired (nor been cleared)."""
    from django.contrib.sessions.models import Session

    # Django expires sessions by the real time, so compare with it (not the business clock).
    return Exists(Session.objects.filter(session_key=OuterRef("session_key"), expire_date__gt=timezone.now()))


def live_only(qs: QuerySet[UserSession]) -> QuerySet[UserSession]:
    """``qs`` narrowed to the sessions whose Django session has not expired."""
    return qs.filter(session_is_live())


def online_sessions(user, action: str = "view") -> QuerySet[UserSession]:
    """Sessions of the user's scope whose Django session has not expired."""
    return live_only(UserSession.objects.restrict(user, action)).select_related("user", "user__org_unit")
