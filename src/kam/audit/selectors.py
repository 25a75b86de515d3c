"""Reading the audit trail: who may see a record's history, and changes shown with labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kam.org.permissions import has_perm

from .models import AuditEntry
from .registry import REGISTRY


def model_for_label(label: str) -> type[models.Model] | None:
    """``"org.orgunit"`` → the registered model, or ``None``."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    return model if model in REGISTRY else None


def of_content_type(entries: QuerySet[AuditEntry], label: str) -> QuerySet[AuditEntry]:
    """``entries`` of the record type ``"app_label.model"`` (none for an unknown type)."""
    app_label, _sep, model_name = label.partition(".")
    ct = ContentType.objects.filter(app_label=app_label, model=model_name).first()
    return entries.filter(content_type=ct) if ct else entries.none()


def record_history(user: Any, model: type[models.Model], object_id: Any) -> QuerySet[AuditEntry] | None:
    """The history of one record, or ``None`` when ``user`` may not see it.

    Visible to whoever may view the record (``Model.objects.restrict(user, "view")``); a deleted
    record's history only to holders of the ``audit`` module.
    """
    if model not in REGISTRY:
        return None
    lookup = {"content_type": ContentType.objects.get_for_model(model, for_concrete_model=False),
              "object_id": str(object_id)}
    entries = AuditEntry.objects.filter(**lookup).select_related("actor", "content_type")
    try:
        visible = model._default_manager.restrict(user, "view").filter(pk=object_id).exists()
    except (ValueError, TypeError):
        return None
    if visible:
        return entries
    if has_perm(user, "audit", "view"):
        return AuditEntry.objects.restrict(user, "view").filter(**lookup).select_related("actor", "content_type")
    return None


@dataclass
class ChangeRow:
    field: str
    label: str
    before: str
    after: str


def _display(field: models.Field | None, value: Any, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if field is None:
        return str(value)
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if field.is_relation:
        key = field.related_model
        if isinstance(value, list):
            return "、".join(names.get((key, v), str(v)) for v in value) or "—"
        return names.get((key, value), str(value))
    if field.flatchoices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def present(entries: list[AuditEntry]) -> list[tuple[AuditEntry, list[ChangeRow]]]:
    """Each entry with its changes as labelled rows; related ids shown by name (one query per model)."""
    wanted: dict[type[models.Model], set] = {}
    fields_of: dict[int, dict[str, models.Field | None]] = {}
    for entry in entries:
        model = entry.content_type.model_class()
        fmap: dict[str, models.Field | None] = {}
        for name, pair in (entry.changes or {}).items():
            try:
                field = model._meta.get_field(name) if model else None
            except Exception:
                field = None
            fmap[name] = field
            if field is not None and field.is_relation and field.related_model is not None:
                for v in pair:
                    for item in v if isinstance(v, list) else [v]:
                        if item is not None:
                            wanted.setdefault(field.related_model, set()).add(item)
        fields_of[entry.pk] = fmap
    names: dict = {}
    for model, ids in wanted.items():
        for obj in model._base_manager.filter(pk__in=ids):
            names[(model, obj.pk)] = str(obj)
    result = []
    for entry in entries:
        rows = []
        for name, pair in (entry.changes or {}).items():
            field = fields_of[entry.pk].get(name)
            before, after = (list(pair) + [None, None])[:2]
            label = str(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else name
            rows.append(ChangeRow(name, label, _display(field, before, names), _display(field, after, names)))
        result.append((entry, rows))
    return result
