"""Writes to account-manager profiles. Pages, API and imports all call these.

REQUIREMENTS §2: a profile is created in steps (basic information → training history → work
experience → confirm) and saved in one transaction at the end; it can create the login user at
the same time or attach to an existing user. A disabled manager (停用) keeps their history but
gets no new work, customers or templates: every other app offers managers through
``AccountManager.objects.assignable()`` / :func:`kam.managers.selectors.active_managers` and
checks a chosen one with :func:`ensure_assignable`. Disabling a profile does not touch the
login; an administrator disables the user separately.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.core import clock
from kam.core.querysets import check_in_scope
from kam.org import services as org_services
from kam.org.models import BusinessLine, OrgUnit, Role, User

from .models import AccountManager, Education, ManagerStatus, Training, WorkExperience

MANAGER_ROLE = "account_manager"

# Profile fields the services accept; name, phone and e-mail are stored on the user.
PROFILE_FIELDS = ("employee_no", "gender", "birth_date", "education", "title", "hire_date", "remarks")
USER_FIELDS = ("name", "phone", "email")
TRAINING_FIELDS = ("start_date", "end_date", "organiser", "course", "result")
EXPERIENCE_FIELDS = ("start_date", "end_date", "employer", "position", "description")


# --- the rule every other app uses ----------------------------------------------------------------

def ensure_assignable(manager: AccountManager | None, *, field: str = "manager") -> None:
    """Raise ``ValidationError`` naming ``field`` unless ``manager`` may get new work, customers or
    templates (REQUIREMENTS §2: a disabled manager gets nothing new)."""
    if manager is None:
        return
    if manager.status != ManagerStatus.ENABLED:
        raise ValidationError(
            {field: _("The account manager is disabled: %(name)s") % {"name": manager.name}},
            code="manager_disabled",
        )
    if not manager.user.is_active:
        raise ValidationError(
            {field: _("The login of the account manager is disabled: %(name)s") % {"name": manager.name}},
            code="manager_inactive",
        )


# --- validation helpers ---------------------------------------------------------------------------

def _gender_values() -> set[str]:
    from kam.system.selectors import dict_values

    return {v for v, _label in dict_values("gender")}


def _validate_profile(manager: AccountManager, errors: dict[str, list[str]]) -> None:
    if manager.gender:
        allowed = _gender_values()
        if allowed and manager.gender not in allowed:
            errors.setdefault("gender", []).append(_("Unknown gender “%(value)s”.") % {"value": manager.gender})
    if manager.education and manager.education not in Education.values:
        errors.setdefault("education", []).append(
            _("Unknown education “%(value)s”.") % {"value": manager.education})
    today = clock.today()
    if manager.birth_date and manager.birth_date > today:
        errors.setdefault("birth_date", []).append(_("The birth date cannot lie in the future."))
    if manager.birth_date and manager.hire_date and manager.hire_date < manager.birth_date:
        errors.setdefault("hire_date", []).append(_("The hire date cannot lie before the birth date."))


def _merge(errors: dict[str, list[str]], exc: ValidationError, prefix: str = "") -> None:
    if hasattr(exc, "error_dict"):
        for key, value in exc.message_dict.items():
            errors.setdefault(f"{prefix}{key}", []).extend(value)
    else:
        errors.setdefault(f"{prefix}__all__" if prefix else "__all__", []).extend(exc.messages)


def _check_period(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and end < start:
        raise ValidationError({"end_date": _("The end date cannot lie before the start date.")})


def _build_row(model: type[Training] | type[WorkExperience], allowed: tuple[str, ...], manager: AccountManager,
               data: Mapping[str, Any]) -> Any:
    """An unsaved training or work-experience row of ``manager``, validated."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("Unknown field.")})
    row = model(manager=manager, **data)
    row.full_clean(exclude=["manager"])
    _check_period(row.start_date, row.end_date)
    return row


def _build_training(manager: AccountManager, data: Mapping[str, Any]) -> Training:
    return _build_row(Training, TRAINING_FIELDS, manager, data)


def _build_experience(manager: AccountManager, data: Mapping[str, Any]) -> WorkExperience:
    return _build_row(WorkExperience, EXPERIENCE_FIELDS, manager, data)


def _manager_role() -> Role | None:
    return Role.objects.filter(code=MANAGER_ROLE).first()


# --- create, update ---------------------------------------------------------------------------------

@transaction.atomic
def manager_create(
    *,
    actor: Any | None = None,
    employee_no: str,
    user: User | None = None,
    username: str = "",
    org_unit: OrgUnit | None = None,
    password: str = "",
    password_hash: str | None = None,
    superior: User | None = None,
    name: str = "",
    phone: str = "",
    email: str = "",
    gender: str = "",
    birth_date: dt.date | None = None,
    education: str = "",
    title: str = "",
    hire_date: dt.date | None = None,
    business_lines: Iterable[BusinessLine] = (),
    remarks: str = "",
    trainings: Iterable[Mapping[str, Any]] = (),
    experiences: Iterable[Mapping[str, Any]] = (),
) -> AccountManager:
    """Create a manager's profile with its training history and work experience in one go.

    Either ``user`` (attach the profile to an existing login) or ``username`` + ``org_unit`` +
    ``password`` (create the login with a one-time initial password, R-AUTH-1). The role
    客户经理 is added to the user either way. Nothing is saved if any part is invalid; the error
    names the field (``trainings[1].course`` for a row of a step). ``password_hash``: ``password``
    already hashed, for imports that hash each distinct initial password once.
    """
    errors: dict[str, list[str]] = {}
    if user is not None:
        if AccountManager.objects.filter(user=user).exists():
            errors.setdefault("user", []).append(_("This user already has an account-manager profile."))
    else:
        if not username:
            errors.setdefault("username", []).append(_("Enter the account number or choose an existing user."))
        elif User.objects.filter(username=username).exists():
            errors.setdefault("username", []).append(_("This account number is already taken."))
        if org_unit is None:
            errors.setdefault("org_unit", []).append(_("Choose the organisation unit."))
        if not name:
            errors.setdefault("name", []).append(_("Enter the name."))
        if not password:
            errors.setdefault("password", []).append(_("Enter the initial password."))
        else:
            try:
                validate_password(password, user=User(username=username, name=name))
            except ValidationError as exc:
                errors.setdefault("password", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)

    if user is None:
        try:
            user = org_services.user_create(
                username=username, name=name, org_unit=org_unit, password=password, superior=superior,
                phone=phone, email=email, must_change_password=True, password_hash=password_hash,
            )
        except ValidationError as exc:
            _merge(errors, exc)
            raise ValidationError(errors) from exc
    else:
        changes = {k: v for k, v in (("name", name), ("phone", phone), ("email", email)) if v}
        for key, value in changes.items():
            setattr(user, key, value)
        if changes:
            user.save(update_fields=list(changes))
    role = _manager_role()
    if role is not None:
        user.roles.add(role)

    manager = AccountManager(
        user=user, employee_no=employee_no, gender=gender, birth_date=birth_date, education=education,
        title=title, hire_date=hire_date, remarks=remarks,
    )
    try:
        manager.full_clean(exclude=["user"])
    except ValidationError as exc:
        _merge(errors, exc)
    _validate_profile(manager, errors)
    if errors:
        raise ValidationError(errors)
    manager.save()
    manager.business_lines.set(list(business_lines))

    rows_t, rows_e = [], []
    for i, data in enumerate(trainings):
        try:
            rows_t.append(_build_training(manager, data))
        except ValidationError as exc:
            _merge(errors, exc, prefix=f"trainings[{i + 1}].")
    for i, data in enumerate(experiences):
        try:
            rows_e.append(_build_experience(manager, data))
        except ValidationError as exc:
            _merge(errors, exc, prefix=f"experiences[{i + 1}].")
    if errors:
        raise ValidationError(errors)
    Training.objects.bulk_create(rows_t)
    WorkExperience.objects.bulk_create(rows_e)
    if actor is not None:
        check_in_scope(actor, manager, "change")
    return manager


@transaction.atomic
def manager_update(*, actor: Any | None = None, manager: AccountManager,
                   business_lines: Iterable[BusinessLine] | None = None, **fields: Any) -> AccountManager:
    """Change the profile (and the name, phone and e-mail on the user)."""
    if actor is not None:
        check_in_scope(actor, manager, "change")
    unknown = set(fields) - set(PROFILE_FIELDS) - set(USER_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    errors: dict[str, list[str]] = {}
    user_changes = {k: v for k, v in fields.items() if k in USER_FIELDS}
    if "name" in user_changes and not user_changes["name"]:
        errors.setdefault("name", []).append(_("Enter the name."))
    for key, value in fields.items():
        if key in PROFILE_FIELDS:
            setattr(manager, key, value)
    try:
        manager.full_clean(exclude=["user"])
    except ValidationError as exc:
        _merge(errors, exc)
    _validate_profile(manager, errors)
    if errors:
        raise ValidationError(errors)
    manager.save()
    if user_changes:
        user = manager.user
        for key, value in user_changes.items():
            setattr(user, key, value)
        user.save(update_fields=list(user_changes))
    if business_lines is not None:
        manager.business_lines.set(list(business_lines))
    if actor is not None:
        check_in_scope(actor, manager, "change")
    return manager


@transaction.atomic
def manager_delete(*, actor: Any | None = None, manager: AccountManager) -> None:
    """Delete a profile entered by mistake (the login stays). A manager with history elsewhere
    cannot be deleted; disable them instead."""
    from django.db.models import ProtectedError

    if actor is not None:
        check_in_scope(actor, manager, "change")
    try:
        with transaction.atomic():
            manager.delete()
    except ProtectedError as exc:
        raise ValidationError(_("This account manager still has records; disable them instead.")) from exc


# --- training history and work experience --------------------------------------------------------

@transaction.atomic
def training_add(*, actor: Any | None = None, manager: AccountManager, **data: Any) -> Training:
    if actor is not None:
        check_in_scope(actor, manager, "change")
    row = _build_training(manager, data)
    row.save()
    return row


@transaction.atomic
def training_remove(*, actor: Any | None = None, training: Training) -> None:
    if actor is not None:
        check_in_scope(actor, training, "change")
    training.delete()


@transaction.atomic
def experience_add(*, actor: Any | None = None, manager: AccountManager, **data: Any) -> WorkExperience:
    if actor is not None:
        check_in_scope(actor, manager, "change")
    row = _build_experience(manager, data)
    row.save()
    return row


@transaction.atomic
def experience_remove(*, actor: Any | None = None, experience: WorkExperience) -> None:
    if actor is not None:
        check_in_scope(actor, experience, "change")
    experience.delete()


# --- enable / disable ------------------------------------------------------------------------------

@transaction.atomic
def manager_disable(*, actor: Any | None = None, manager: AccountManager, reason: str) -> AccountManager:
    """停用: the manager keeps their history but gets no new work, customers or templates. The
    login stays as it is."""
    if actor is not None:
        check_in_scope(actor, manager, "change")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for disabling.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("The reason may have at most 500 characters.")})
    if manager.status == ManagerStatus.DISABLED:
        raise ValidationError({"status": _("The account manager is already disabled.")})
    manager.status = ManagerStatus.DISABLED
    manager.disabled_at = clock.now()
    manager.disabled_reason = reason
    manager.save(update_fields=["status", "disabled_at", "disabled_reason", "updated_at"])
    return manager


@transaction.atomic
def manager_enable(*, actor: Any | None = None, manager: AccountManager) -> AccountManager:
    """启用: the manager may get new work again."""
    if actor is not None:
        check_in_scope(actor, manager, "change")
    if manager.status == ManagerStatus.ENABLED:
        raise ValidationError({"status": _("The account manager is already enabled.")})
    manager.status = ManagerStatus.ENABLED
    manager.disabled_at = None
    manager.disabled_reason = ""
    manager.save(update_fields=["status", "disabled_at", "disabled_reason", "updated_at"])
    return manager
