"""``audit.register(Model, exclude=[...])``: record every change of a model with before/after values.

Each app registers its business models in its ``AppConfig.ready()``::

    from kam import audit
    audit.register(Customer, exclude=["search_vector"])

What is recorded (``AuditEntry``): create (every non-empty field as ``[None, value]``), update
(each changed field as ``[before, after]``; a save that changes nothing records nothing), delete
(every field as ``[value, None]``) and many-to-many changes (``[before ids, after ids]``, from both
sides of the relation). Foreign keys are stored as ids, dates as ISO text, decimals as text.
The actor is the request's user (web and API, via ``AuditContextMiddleware``) or the starter of a
background job; the request id and client address are kept when there is a request.

Not recorded: ``QuerySet.update()``/``bulk_create()`` and raw fixture loads — write through the
services, which save instances.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from kam.core import clock

from .context import current
from .models import AuditAction, AuditEntry


@dataclass
class Registration:
    model: type[models.Model]
    exclude: frozenset[str]
    fields: list[models.Field] = field(default_factory=list)
    m2m: list[models.ManyToManyField] = field(default_factory=list)


REGISTRY: dict[type[models.Model], Registration] = {}
_THROUGH: dict[type[models.Model], tuple[type[models.Model], models.ManyToManyField]] = {}
_pending = threading.local()


def is_registered(model: type[models.Model]) -> bool:
    return model in REGISTRY


def register(model: type[models.Model], *, exclude: list[str] | tuple[str, ...] = ()) -> None:
    """Record every create/update/delete (and m2m change) of ``model`` except the ``exclude`` fields."""
    if model in REGISTRY:
        return
    excluded = frozenset(exclude)
    reg = Registration(model, excluded)
    reg.fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in excluded]
    reg.m2m = [f for f in model._meta.many_to_many if f.name not in excluded]
    REGISTRY[model] = reg
    uid = f"kam-audit-{model._meta.label_lower}"
    pre_save.connect(_pre_save, sender=model, dispatch_uid=f"{uid}-pre", weak=False)
    post_save.connect(_post_save, sender=model, dispatch_uid=f"{uid}-post", weak=False)
    post_delete.connect(_post_delete, sender=model, dispatch_uid=f"{uid}-del", weak=False)
    from kam.core.registry import DetailPanel, register_detail_panel

    register_detail_panel(model._meta.label_lower, DetailPanel(900, "audit_history", "audit/_history_panel.html"))
    for m2m in reg.m2m:
        through = m2m.remote_field.through
        _THROUGH[through] = (model, m2m)
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"{uid}-m2m-{m2m.name}", weak=False)


def to_json(value: Any) -> Any:
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    if isinstance(value, bytes | memoryview):
        return "<binary>"
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _snapshot(reg: Registration, instance: models.Model) -> dict[str, Any]:
    return {f.name: to_json(getattr(instance, f.attname)) for f in reg.fields}


def _write(instance_or_model: Any, object_id: Any, object_repr: str, action: str, changes: dict) -> AuditEntry:
    ctx = current()
    actor = ctx.actor() if ctx else None
    return AuditEntry.objects.create(
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_repr=str(actor)[:150] if actor is not None else "",
        at=clock.now(), action=action,
        content_type=ContentType.objects.get_for_model(instance_or_model, for_concrete_model=False),
        object_id=str(object_id)[:64], object_repr=object_repr[:200], changes=changes,
        source=ctx.source if ctx else "system", request_id=ctx.request_id if ctx else "",
        ip=ctx.ip if ctx else None,
    )


def _pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    reg = REGISTRY.get(sender)
    if reg is None or raw or instance._state.adding or instance.pk is None:
        return
    row = sender._base_manager.using(instance._state.db or "default").filter(pk=instance.pk).values(
        *[f.attname for f in reg.fields]).first()
    if row is not None:
        instance._audit_before = {f.name: to_json(row[f.attname]) for f in reg.fields}


def _post_save(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    reg = REGISTRY.get(sender)
    if reg is None or raw:
        return
    after = _snapshot(reg, instance)
    before = instance.__dict__.pop("_audit_before", None)
    if created or before is None:
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "")}
        _write(instance, instance.pk, str(instance), AuditAction.CREATE, changes)
        return
    names = {f.name for f in reg.fields}
    if update_fields is not None:
        names &= {sender._meta.get_field(n).name for n in update_fields}
    changes = {k: [before[k], after[k]] for k in sorted(names) if before.get(k) != after[k]}
    if changes:
        _write(instance, instance.pk, str(instance), AuditAction.UPDATE, changes)


def _post_delete(sender, instance, **kwargs):
    reg = REGISTRY.get(sender)
    if reg is None:
        return
    changes = {k: [v, None] for k, v in _snapshot(reg, instance).items() if v not in (None, "")}
    _write(instance, instance.pk, str(instance), AuditAction.DELETE, changes)


def _m2m_state(through: type[models.Model], m2m: models.ManyToManyField, pks: list) -> dict[Any, list]:
    source, target = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
    state: dict[Any, list] = {pk: [] for pk in pks}
    rows = through._base_manager.filter(**{f"{source}__in": pks}).values_list(f"{source}_id", f"{target}_id")
    for src, tgt in rows:
        state.setdefault(src, []).append(tgt)
    return {k: sorted(v) for k, v in state.items()}


def _m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    forward_model, m2m = _THROUGH[sender]
    if not reverse:
        pks = [instance.pk]
    elif pk_set is not None:
        pks = sorted(pk_set)
    else:  # reverse clear: every forward object linked to this instance
        target = m2m.m2m_reverse_field_name()
        pks = sorted(set(sender._base_manager.filter(**{target: instance.pk}).values_list(
            f"{m2m.m2m_field_name()}_id", flat=True)))
    key = (sender, id(instance))
    stash = _pending.__dict__.setdefault("m2m", {})
    if action in ("pre_add", "pre_remove", "pre_clear"):
        stash[key] = (pks, _m2m_state(sender, m2m, pks))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    pks, before = stash.pop(key, (pks, None))
    if before is None:
        return
    after = _m2m_state(sender, m2m, pks)
    changed = [pk for pk in pks if before.get(pk, []) != after.get(pk, [])]
    if not changed:
        return
    objects = {instance.pk: instance} if not reverse else forward_model._base_manager.in_bulk(changed)
    for pk in changed:
        obj = objects.get(pk)
        _write(forward_model, pk, str(obj) if obj is not None else str(pk), AuditAction.UPDATE,
               {m2m.name: [before.get(pk, []), after.get(pk, [])]})
