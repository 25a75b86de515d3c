"""Step data (环节表单): the fields a step records when it is completed.

A node's configuration may declare ``fields``::

    "fields": [{"name": "satisfied", "label": "客户是否满意", "type": "choice", "required": true,
                "choices": [["yes", "满意"], ["no", "不满意"]]},
               {"name": "minutes", "label": "处理时长（分钟）", "type": "number"}]

Types: ``text``, ``number``, ``choice`` (``choices``: values, or [value, label] pairs), ``user``
(an active user's account number), ``date`` (ISO ``YYYY-MM-DD``). The cleaned values are merged
into the instance data (so following gateways read them, e.g. ``satisfied == "yes"``) and kept on
the step's history entry.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FIELD_TYPES = ("text", "number", "choice", "user", "date")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,49}$")
RESERVED = {"outcome", "approvers"}


def choices(field: dict) -> list[tuple[str, str]]:
    """A choice field's (value, label) pairs."""
    pairs = []
    for item in field.get("choices") or []:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            pairs.append((str(item[0]), str(item[1])))
        else:
            pairs.append((str(item), str(item)))
    return pairs


def config_problems(node_id: str, fields: Any, node_ids: list[str]) -> list[str]:
    """Problems of a step's ``fields`` declaration (translated messages)."""
    if fields is None:
        return []
    if not isinstance(fields, list):
        return [_("Step %(node)s: fields must be a list.") % {"node": node_id}]
    problems, seen = [], set()
    for field in fields:
        name = field.get("name") if isinstance(field, dict) else None
        if not isinstance(name, str) or not NAME_RE.match(name) or name in RESERVED or name in node_ids:
            problems.append(_("Step %(node)s: a field needs a name of letters, digits and underscores "
                              "(not a step id).") % {"node": node_id})
            continue
        if name in seen:
            problems.append(_("Step %(node)s: field %(field)s is declared twice.") % {"node": node_id, "field": name})
        seen.add(name)
        if field.get("type", "text") not in FIELD_TYPES:
            problems.append(_("Step %(node)s: field %(field)s has an unknown type (one of %(types)s).")
                            % {"node": node_id, "field": name, "types": ", ".join(FIELD_TYPES)})
        elif field.get("type") == "choice" and not choices(field):
            problems.append(_("Step %(node)s: choice field %(field)s needs choices.")
                            % {"node": node_id, "field": name})
    return problems


def label(field: dict) -> str:
    return str(field.get("label") or field["name"])


def clean(fields: list[dict] | None, data: dict | None) -> dict:
    """The declared fields' values from ``data`` (form or API), typed; raises ValidationError keyed by
    field name, with a message naming the field, when a value is missing or wrong. Undeclared
    keys are ignored."""
    data = data or {}
    values, errors = {}, {}
    for field in fields or []:
        name, kind = field["name"], field.get("type", "text")
        raw = data.get(name)
        if isinstance(raw, str):
            raw = raw.strip()
        if raw in (None, "", []):
            if field.get("required"):
                errors[name] = _("%(field)s is required.") % {"field": label(field)}
            continue
        try:
            values[name] = _convert(field, kind, raw)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationError(errors)
    return values


def _convert(field: dict, kind: str, raw: Any) -> Any:
    name = label(field)
    if kind == "number":
        if isinstance(raw, bool):
            raise ValueError(_("%(field)s must be a number.") % {"field": name})
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(_("%(field)s must be a number.") % {"field": name}) from None
        if not number.is_finite():
            raise ValueError(_("%(field)s must be a number.") % {"field": name})
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "choice":
        allowed = dict(choices(field))
        if str(raw) not in allowed:
            raise ValueError(_("%(field)s must be one of: %(choices)s.")
                             % {"field": name, "choices": "、".join(allowed.values())})
        return str(raw)
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(raw)).isoformat()
        except ValueError:
            raise ValueError(_("%(field)s must be a date (YYYY-MM-DD).") % {"field": name}) from None
    if kind == "user":
        from kam.org.models import User

        if not User.objects.filter(username=str(raw), is_active=True).exists():
            raise ValueError(_("%(field)s: no active user with account number %(value)s.")
                             % {"field": name, "value": raw})
        return str(raw)
    return str(raw)[:2000]


def display(fields: list[dict] | None, values: dict) -> list[tuple[str, str]]:
    """(label, shown value) of recorded values, in declaration order (choices by their label)."""
    shown = []
    for field in fields or []:
        if field["name"] in values:
            value = values[field["name"]]
            if field.get("type") == "choice":
                value = dict(choices(field)).get(str(value), value)
            shown.append((label(field), str(value)))
    return shown
