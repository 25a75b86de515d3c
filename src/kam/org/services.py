"""Writes to the org tree, users, roles and grants. Pages, API and imports all call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, ProtectedError, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from kam.core import clock
from kam.core.querysets import check_in_scope

from .models import (
    PATH_STEP,
    BusinessLine,
    BusinessType,
    DataScope,
    Grant,
    OrgKind,
    OrgLevel,
    OrgUnit,
    Role,
    User,
)
from .permissions import has_perm

# The region level a region node must have under a parent of a given level.
_CHILD_LEVEL = {None: OrgLevel.PROVINCE, OrgLevel.PROVINCE: OrgLevel.CITY, OrgLevel.CITY: OrgLevel.COUNTY}


def _check_change(user: Any | None, obj: Any) -> None:
    """``check_in_scope(user, obj, "change")``; no ``user`` (demo, imports by the system) skips it."""
    if user is not None:
        check_in_scope(user, obj, "change")


def _create(user: Any | None, obj: Any) -> Any:
    """Validate and save a new catalogue record, then check it lies in ``user``'s scope."""
    obj.full_clean()
    obj.save()
    _check_change(user, obj)
    return obj


def _update(user: Any | None, obj: Any, fields: dict[str, Any]) -> Any:
    """Check scope, set ``fields``, validate and save a catalogue record."""
    _check_change(user, obj)
    for key, value in fields.items():
        setattr(obj, key, value)
    obj.full_clean()
    obj.save()
    return obj


def _delete_protected(obj: Any, message: str) -> None:
    """Delete ``obj``; a ``ProtectedError`` (records still refer to it) becomes ``message``."""
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        raise ValidationError(message) from exc


def _validate_placement(*, kind: str, level: str, parent: OrgUnit | None) -> None:
    if kind == OrgKind.REGION:
        parent_level = parent.level if parent else None
        if parent is not None and parent.kind != OrgKind.REGION:
            raise ValidationError({"parent": _("A region cannot be placed under a department or section.")})
        expected = _CHILD_LEVEL.get(parent_level or None)
        if expected is None:
            raise ValidationError({"parent": _("A county cannot hold another region.")})
        if level != expected:
            raise ValidationError(
                {"level": _("A region under this parent must be of level “%(level)s”.") % {"level": expected.label}}
            )
    else:
        if parent is None:
            raise ValidationError({"parent": _("A department or section needs a parent.")})
        if level:
            raise ValidationError({"level": _("Only regions have a level.")})


def _set_path(unit: OrgUnit) -> None:
    parent_path = unit.parent.path if unit.parent_id else ""
    unit.path = parent_path + unit.segment()
    unit.depth = len(unit.path) // PATH_STEP - 1
    OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)


@transaction.atomic
def org_unit_create(*, user: Any | None = None, name: str, code: str, parent: OrgUnit | None,
                    kind: str = OrgKind.REGION, level: str = "", **fields: Any) -> OrgUnit:
    _validate_placement(kind=kind, level=level, parent=parent)
    unit = OrgUnit(name=name, code=code, parent=parent, kind=kind, level=level, **fields)
    unit.full_clean(exclude=["path", "depth"])
    unit.save()
    _set_path(unit)
    _check_change(user, unit)
    return unit


@transaction.atomic
def org_unit_update(*, user: Any | None = None, unit: OrgUnit, **fields: Any) -> OrgUnit:
    _check_change(user, unit)
    new_parent = fields.pop("parent", unit.parent)
    for key, value in fields.items():
        setattr(unit, key, value)
    if (new_parent.pk if new_parent else None) != unit.parent_id:
        unit.save()
        return org_unit_move(user=user, unit=unit, new_parent=new_parent)
    _validate_placement(kind=unit.kind, level=unit.level, parent=unit.parent)
    unit.full_clean(exclude=["path", "depth"])
    unit.save()
    return unit


@transaction.atomic
def org_unit_move(*, user: Any | None = None, unit: OrgUnit, new_parent: OrgUnit | None) -> OrgUnit:
    """Move ``unit`` and its whole subtree under ``new_parent``; every path below is rewritten
    in one UPDATE so the tree stays consistent."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    _check_change(user, unit)
    if new_parent is not None:
        _check_change(user, new_parent)
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot be moved under itself or one of its descendants.")})
    _validate_placement(kind=unit.kind, level=unit.level, parent=new_parent)
    old_path = unit.path
    new_path = (new_parent.path if new_parent else "") + unit.segment()
    depth_shift = (len(new_path) - len(old_path)) // PATH_STEP
    OrgUnit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_shift,
    )
    OrgUnit.objects.filter(pk=unit.pk).update(parent=new_parent)
    unit.refresh_from_db()
    return unit


@transaction.atomic
def org_unit_delete(*, user: Any | None = None, unit: OrgUnit) -> None:
    _check_change(user, unit)
    if unit.children.exists():
        raise ValidationError(_("This unit still has sub-units; move or delete them first."))
    if unit.users.exists():
        raise ValidationError(_("This unit still has users; move them to another unit first."))
    unit.delete()


def _check_roles_change(actor: Any | None, roles: list[Role] | None, current: set[int]) -> None:
    """Giving or taking roles is granting permissions (R-PERM-1): it needs "change" on roles."""
    if actor is None or roles is None or {r.pk for r in roles} == current:
        return
    if not has_perm(actor, "roles", "change"):
        raise ValidationError({"roles": _("Assigning roles needs the “add / delete / modify” permission "
                                          "of roles and permissions.")})


@transaction.atomic
def user_create(*, actor: Any | None = None, username: str, name: str, org_unit: OrgUnit,
                password: str, roles: Iterable[Role] = (), superior: User | None = None,
                must_change_password: bool = True, password_hash: str | None = None, **fields: Any) -> User:
    """Create a user with a one-time initial password (R-AUTH-1).

    ``password_hash``: the already hashed ``password`` (``make_password``), for imports that give
    many users the same initial password and hash it once.
    """
    roles = list(roles)
    _check_roles_change(actor, roles, set())
    user = User(username=username, name=name, org_unit=org_unit, superior=superior,
                must_change_password=must_change_password, **fields)
    user.full_clean(exclude=["password"])
    if password_hash is not None:
        user.password = password_hash
    else:
        user.set_password(password)
    user.save()
    user.roles.set(list(roles))
    _check_change(actor, user)
    return user


@transaction.atomic
def user_update(*, actor: Any | None = None, user: User, roles: Iterable[Role] | None = None,
                **fields: Any) -> User:
    _check_change(actor, user)
    if roles is not None:
        roles = list(roles)
        _check_roles_change(actor, roles, set(user.roles.values_list("pk", flat=True)))
    for key, value in fields.items():
        setattr(user, key, value)
    if user.superior_id == user.pk:
        raise ValidationError({"superior": _("A user cannot be their own superior.")})
    user.full_clean(exclude=["password"])
    user.save()
    if roles is not None:
        user.roles.set(list(roles))
    _check_change(actor, user)
    return user


@transaction.atomic
def user_reset_password(*, actor: Any | None = None, user: User, password: str) -> User:
    """An administrator sets a new one-time password; the user must change it at next login."""
    _check_change(actor, user)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    return user


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> User:
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("The current password is wrong.")})
    if old_password == new_password:
        raise ValidationError({"new_password": _("The new password must differ from the current one.")})
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from exc
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = clock.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    return user


@transaction.atomic
def user_delete(*, actor: Any | None = None, user: User) -> None:
    if actor is not None:
        check_in_scope(actor, user, "change")
        if actor.pk == user.pk:
            raise ValidationError(_("You cannot delete your own account."))
    _delete_protected(
        user,
        _("This user still has business records (e.g. an account-manager profile); disable the account "
          "instead of deleting it."),
    )


@transaction.atomic
def grant_set(*, user: Any | None = None, role: Role, module: str, can_view: bool = True, can_change: bool = False,
              can_analyse: bool = False, scope: str = DataScope.UNIT,
              custom_units: Iterable[OrgUnit] = (), valid_from: dt.date | None = None,
              valid_to: dt.date | None = None) -> Grant:
    """Create or replace the grant of ``role`` on ``module`` (``user`` must hold change on roles)."""
    from kam.core.registry import MODULES

    _check_change(user, role)

    if module not in MODULES:
        raise ValidationError({"module": _("Unknown module “%(module)s”.") % {"module": module}})
    if valid_from and valid_to and valid_from > valid_to:
        raise ValidationError({"valid_to": _("“Valid to” must not be before “valid from”.")})
    units = list(custom_units)
    if scope == DataScope.CUSTOM and not units:
        raise ValidationError({"custom_units": _("The custom scope needs at least one org unit.")})
    grant, _created = Grant.objects.update_or_create(
        role=role, module=module,
        defaults={"can_view": can_view, "can_change": can_change, "can_analyse": can_analyse,
                  "scope": scope, "valid_from": valid_from, "valid_to": valid_to},
    )
    grant.custom_units.set(units if scope == DataScope.CUSTOM else [])
    return grant


# --- roles, grants and the business-line catalogue ----------------------------------------------

@transaction.atomic
def role_create(*, user: Any | None = None, code: str, name: str, description: str = "",
                enabled: bool = True, sort_order: int = 0) -> Role:
    return _create(user, Role(code=code, name=name, description=description, enabled=enabled,
                              sort_order=sort_order))


@transaction.atomic
def role_update(*, user: Any | None = None, role: Role, **fields: Any) -> Role:
    _check_change(user, role)
    if role.builtin and "code" in fields and fields["code"] != role.code:
        raise ValidationError({"code": _("The code of a built-in role cannot be changed.")})
    return _update(None, role, fields)  # scope checked above


@transaction.atomic
def role_delete(*, user: Any | None = None, role: Role) -> None:
    _check_change(user, role)
    if role.builtin:
        raise ValidationError(_("Built-in roles cannot be deleted."))
    role.delete()


@transaction.atomic
def grant_delete(*, user: Any | None = None, grant: Grant) -> None:
    _check_change(user, grant)
    grant.delete()


@transaction.atomic
def business_line_create(*, user: Any | None = None, code: str, name: str, sort_order: int = 0,
                         enabled: bool = True) -> BusinessLine:
    return _create(user, BusinessLine(code=code, name=name, sort_order=sort_order, enabled=enabled))


@transaction.atomic
def business_line_update(*, user: Any | None = None, line: BusinessLine, **fields: Any) -> BusinessLine:
    return _update(user, line, fields)


@transaction.atomic
def business_line_delete(*, user: Any | None = None, line: BusinessLine) -> None:
    _check_change(user, line)
    _delete_protected(line, _("This business line is still in use; disable it instead."))


@transaction.atomic
def business_type_create(*, user: Any | None = None, line: BusinessLine, code: str, name: str,
                         sort_order: int = 0, enabled: bool = True) -> BusinessType:
    return _create(user, BusinessType(line=line, code=code, name=name, sort_order=sort_order,
                                      enabled=enabled))


@transaction.atomic
def business_type_update(*, user: Any | None = None, business_type: BusinessType,
                         **fields: Any) -> BusinessType:
    return _update(user, business_type, fields)


@transaction.atomic
def business_type_delete(*, user: Any | None = None, business_type: BusinessType) -> None:
    _check_change(user, business_type)
    _delete_protected(business_type, _("This business type is still in use; disable it instead."))


@transaction.atomic
def role_grants_save(*, user: Any | None = None, role: Role, grants: dict[str, dict[str, Any] | None]) -> Role:
    """Save a role's grants from the grants editor: ``{module: grant fields}``; ``None`` (no
    action granted) removes the module's grant. All or nothing: errors are collected per module
    as ``"<module>.<field>"`` keys of one ``ValidationError``, and nothing is saved."""
    _check_change(user, role)
    errors: dict[str, list[str]] = {}
    for module, fields in grants.items():
        try:
            with transaction.atomic():
                if fields is None:
                    Grant.objects.filter(role=role, module=module).delete()
                else:
                    grant_set(role=role, module=module, **fields)  # role checked above
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(f"{module}.{field}", []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return role
