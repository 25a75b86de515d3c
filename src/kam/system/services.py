"""Writes of the system app. Pages, the API, imports and jobs all call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.core import clock
from kam.core.querysets import check_in_scope

from .models import (
    Announcement,
    AnnouncementStatus,
    DictType,
    DictValue,
    LoginLog,
    LoginResult,
    OperationAction,
    OperationLog,
    OperationResult,
    Parameter,
    UserSession,
)
from .params import PARAMETERS, check_bounds, format_value, parse_value
from .useragent import client_ip, parse_user_agent

# ---------------------------------------------------------------------------------------------
# 字典管理


def _check(actor: Any | None, obj, action: str = "change") -> None:
    if actor is not None:
        check_in_scope(actor, obj, action)


def _require(actor: Any | None, module: str) -> None:
    """For creations, where there is no record yet to check against the scope."""
    from kam.org.permissions import has_perm

    if actor is not None and not has_perm(actor, module, "change"):
        raise PermissionDenied(_("You have no permission for this record."))


@transaction.atomic
def dict_type_create(*, actor: Any | None = None, code: str, name: str, enabled: bool = True,
                     remark: str = "") -> DictType:
    _require(actor, "dictionaries")
    dict_type = DictType(code=code.strip(), name=name.strip(), enabled=enabled, remark=remark)
    dict_type.full_clean()
    dict_type.save()
    _check(actor, dict_type)
    return dict_type


@transaction.atomic
def dict_type_update(*, actor: Any | None = None, dict_type: DictType, **fields: Any) -> DictType:
    _check(actor, dict_type)
    if dict_type.builtin and "code" in fields and fields["code"] != dict_type.code:
        raise ValidationError({"code": _("The code of a built-in dictionary cannot be changed.")})
    for key, value in fields.items():
        setattr(dict_type, key, value)
    dict_type.full_clean()
    dict_type.save()
    return dict_type


@transaction.atomic
def dict_type_delete(*, actor: Any | None = None, dict_type: DictType) -> None:
    _check(actor, dict_type)
    if dict_type.builtin:
        raise ValidationError(_("A built-in dictionary cannot be deleted; disable it instead."))
    dict_type.delete()


def _clear_other_defaults(value: DictValue) -> None:
    if value.is_default:
        DictValue.objects.filter(dict_type_id=value.dict_type_id, is_default=True).exclude(pk=value.pk).update(
            is_default=False)


@transaction.atomic
def dict_value_create(*, actor: Any | None = None, dict_type: DictType, value: str, label: str,
                      sort_order: int = 0, tag_colour: str = "secondary", css_class: str = "",
                      is_default: bool = False, enabled: bool = True, remark: str = "") -> DictValue:
    """Add a value; making it the default takes the flag from the type's previous default."""
    _require(actor, "dictionaries")
    if is_default and not enabled:
        raise ValidationError({"is_default": _("A disabled value cannot be the default.")})
    item = DictValue(dict_type=dict_type, value=value.strip(), label=label.strip(), sort_order=sort_order,
                     tag_colour=tag_colour, css_class=css_class, is_default=False, enabled=enabled, remark=remark)
    item.full_clean()
    item.save()
    if is_default:
        item.is_default = True
        _clear_other_defaults(item)
        item.save(update_fields=["is_default"])
    _check(actor, item)
    return item


@transaction.atomic
def dict_value_update(*, actor: Any | None = None, item: DictValue, **fields: Any) -> DictValue:
    _check(actor, item)
    for key, value in fields.items():
        setattr(item, key, value)
    if item.is_default and not item.enabled:
        raise ValidationError({"is_default": _("A disabled value cannot be the default.")})
    _clear_other_defaults(item)  # inside the transaction: undone if the checks below fail
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def dict_value_delete(*, actor: Any | None = None, item: DictValue) -> None:
    _check(actor, item)
    item.delete()


# ---------------------------------------------------------------------------------------------
# 参数设置


@transaction.atomic
def parameter_update(*, actor: Any | None = None, parameter: Parameter, value: Any,
                     name: str | None = None, remark: str | None = None) -> Parameter:
    """Set a parameter's value, checked against its type (and its bounds for built-in ones)."""
    _check(actor, parameter)
    typed = parse_value(parameter.value_type, value)
    check_bounds(PARAMETERS.get(parameter.key), typed)
    parameter.value = format_value(parameter.value_type, typed)
    if name is not None:
        parameter.name = name
    if remark is not None:
        parameter.remark = remark
    parameter.updated_at = clock.now()
    parameter.full_clean()
    parameter.save()
    return parameter


@transaction.atomic
def parameter_create(*, actor: Any | None = None, key: str, name: str, value: Any, value_type: str,
                     remark: str = "") -> Parameter:
    _require(actor, "parameters")
    typed = parse_value(value_type, value)
    parameter = Parameter(key=key.strip(), name=name.strip(), value=format_value(value_type, typed),
                          value_type=value_type, remark=remark)
    parameter.full_clean()
    parameter.save()
    _check(actor, parameter)
    return parameter


@transaction.atomic
def parameter_delete(*, actor: Any | None = None, parameter: Parameter) -> None:
    _check(actor, parameter)
    if parameter.builtin:
        raise ValidationError(_("A built-in parameter cannot be deleted."))
    parameter.delete()


# ---------------------------------------------------------------------------------------------
# 通知公告


def _validate_announcement(a: Announcement, units: list) -> None:
    if a.publish_at and a.expire_at and a.expire_at <= a.publish_at:
        raise ValidationError({"expire_at": _("The expiry must be after the publication time.")})
    if not a.for_all and not units:
        raise ValidationError({"units": _("Choose at least one unit, or address the whole organisation.")})


@transaction.atomic
def announcement_create(*, actor: Any | None = None, title: str, content: str = "", kind: str = "notice",
                        publish_at: dt.datetime | None = None, expire_at: dt.datetime | None = None,
                        for_all: bool = True, units: Iterable = (), publish: bool = False) -> Announcement:
    _require(actor, "announcements")
    units = list(units)
    a = Announcement(title=title.strip(), content=content, kind=kind, publish_at=publish_at, expire_at=expire_at,
                     for_all=for_all, created_by=actor if getattr(actor, "pk", None) else None,
                     org_unit=getattr(actor, "org_unit", None))
    _validate_announcement(a, units)
    a.full_clean()
    a.save()
    a.units.set([] if for_all else units)
    if publish:
        announcement_publish(actor=actor, announcement=a)
    _check(actor, a)
    return a


@transaction.atomic
def announcement_update(*, actor: Any | None = None, announcement: Announcement, units: Iterable | None = None,
                        **fields: Any) -> Announcement:
    _check(actor, announcement)
    for key, value in fields.items():
        setattr(announcement, key, value)
    unit_list = list(units) if units is not None else list(announcement.units.all())
    _validate_announcement(announcement, unit_list)
    announcement.updated_at = clock.now()
    announcement.full_clean()
    announcement.save()
    announcement.units.set([] if announcement.for_all else unit_list)
    _check(actor, announcement)
    return announcement


@transaction.atomic
def announcement_publish(*, actor: Any | None = None, announcement: Announcement) -> Announcement:
    _check(actor, announcement)
    announcement.status = AnnouncementStatus.PUBLISHED
    if announcement.publish_at is None:
        announcement.publish_at = clock.now()
    announcement.updated_at = clock.now()
    announcement.save(update_fields=["status", "publish_at", "updated_at"])
    return announcement


@transaction.atomic
def announcement_withdraw(*, actor: Any | None = None, announcement: Announcement) -> Announcement:
    _check(actor, announcement)
    announcement.status = AnnouncementStatus.DRAFT
    announcement.updated_at = clock.now()
    announcement.save(update_fields=["status", "updated_at"])
    return announcement


@transaction.atomic
def announcement_delete(*, actor: Any | None = None, announcement: Announcement) -> None:
    _check(actor, announcement)
    announcement.delete()


# ---------------------------------------------------------------------------------------------
# 操作日志 / 登录日志

_ACTION_BY_LABEL = {
    "新增": OperationAction.CREATE, "修改": OperationAction.UPDATE, "删除": OperationAction.DELETE,
    "授权": OperationAction.GRANT, "导出": OperationAction.EXPORT, "导入": OperationAction.IMPORT,
    "强退": OperationAction.FORCE_LOGOUT, "其他": OperationAction.OTHER,
}


def normalise_action(action: str) -> str:
    """Accept a code (``export``) or the Chinese name (``导出``)."""
    if action in OperationAction.values:
        return action
    if action in _ACTION_BY_LABEL:
        return _ACTION_BY_LABEL[action]
    raise ValueError(f"unknown operation action {action!r}")


def _user_fields(user: Any | None) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user": None, "username": "", "org_unit_id": None}
    return {"user": user, "username": user.get_username(), "org_unit_id": getattr(user, "org_unit_id", None)}


def log_operation(*, user: Any | None, action: str, module: str = "", description: str = "",
                  request: Any | None = None, result: str = OperationResult.SUCCESS, error_message: str = "",
                  duration_ms: int = 0, status_code: int | None = None) -> OperationLog:
    """Record one business action. With ``request`` given, the request is not logged a second time
    by the middleware."""
    entry = OperationLog(
        module=module[:60], action=normalise_action(action), description=description[:500],
        ip=client_ip(request), method=(request.method if request is not None else "")[:10],
        url=(request.get_full_path() if request is not None else "")[:500], created_at=clock.now(),
        duration_ms=max(0, int(duration_ms)), status_code=status_code, result=result,
        error_message=(error_message or "")[:2000], **_user_fields(user),
    )
    entry.save()
    if request is not None:
        getattr(request, "_request", request)._kam_operation_logged = True  # a DRF request wraps Django's
    return entry


def login_log_record(*, request: Any | None, username: str, user: Any | None = None,
                     result: str = LoginResult.SUCCESS, message: str = "") -> LoginLog:
    browser, os_name = parse_user_agent(request.META.get("HTTP_USER_AGENT") if request is not None else "")
    entry = LoginLog(
        username=(username or "")[:150], user=user, org_unit_id=getattr(user, "org_unit_id", None),
        ip=client_ip(request), browser=browser, os=os_name, created_at=clock.now(), result=result,
        message=message[:500],
    )
    entry.save()
    return entry


@transaction.atomic
def operation_log_clear(*, actor: Any | None = None, before: dt.datetime | None = None) -> int:
    """Delete the entries of the actor's scope older than ``before`` (default: the retention days)."""
    from .selectors import param

    before = before or clock.now() - dt.timedelta(days=param("log.retention_days"))
    qs = OperationLog.objects.restrict(actor, "change") if actor is not None else OperationLog.objects.all()
    count, _details = qs.filter(created_at__lt=before).delete()
    if actor is not None:
        log_operation(user=actor, action=OperationAction.DELETE, module="operation_log",
                      description=_("Cleared %(count)s operation log entries") % {"count": count})
    return count


@transaction.atomic
def login_log_clear(*, actor: Any | None = None, before: dt.datetime | None = None) -> int:
    from .selectors import param

    before = before or clock.now() - dt.timedelta(days=param("log.retention_days"))
    qs = LoginLog.objects.restrict(actor, "change") if actor is not None else LoginLog.objects.all()
    count, _details = qs.filter(created_at__lt=before).delete()
    if actor is not None:
        log_operation(user=actor, action=OperationAction.DELETE, module="login_log",
                      description=_("Cleared %(count)s login log entries") % {"count": count})
    return count


# ---------------------------------------------------------------------------------------------
# 在线用户


def session_register(*, request: Any, user: Any) -> UserSession | None:
    """Called at login: remember the session for the online-users list."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    if not session.session_key:
        session.save()
    browser, os_name = parse_user_agent(request.META.get("HTTP_USER_AGENT"))
    now = clock.now()
    entry, _created = UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={"user": user, "ip": client_ip(request), "browser": browser, "os": os_name,
                  "login_at": now, "last_activity": now},
    )
    return entry


def session_touch(*, request: Any, user: Any) -> None:
    """Refresh the last activity (the middleware calls this at most once a minute per session)."""
    key = request.session.session_key
    if not key:
        return
    updated = UserSession.objects.filter(session_key=key, user=user).update(
        last_activity=clock.now(), ip=client_ip(request))
    if not updated:
        session_register(request=request, user=user)


def session_end(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def session_force_logout(*, actor: Any, user_session: UserSession, revoke_tokens: bool = False,
                         request: Any | None = None) -> None:
    """强退: end another user's session now — their next request is anonymous — and log it."""
    from importlib import import_module

    from django.conf import settings

    check_in_scope(actor, user_session, "change")
    if request is not None and getattr(request, "session", None) is not None \
            and request.session.session_key == user_session.session_key:
        raise ValidationError(_("You cannot force your own session to log out; log out instead."))
    target = user_session.user
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store().delete(user_session.session_key)
    user_session.delete()
    if revoke_tokens:
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user=target).delete()
    log_operation(user=actor, action=OperationAction.FORCE_LOGOUT, module="online_users", request=request,
                  description=_("Forced %(user)s to log out") % {"user": target})


def user_by_username(username: str):
    User = get_user_model()
    return User.objects.filter(username=username).only("id", "org_unit_id", "username").first()


def online_sessions_purge() -> int:
    """Delete the rows of sessions Django has expired or cleared (``clearsessions``)."""
    from .selectors import session_is_live

    count, _details = UserSession.objects.filter(~session_is_live()).delete()
    return count


def logs_clear_expired() -> dict[str, int]:
    """Scheduled: drop operation- and login-log entries older than ``log.retention_days``."""
    return {"operation_log": operation_log_clear(), "login_log": login_log_clear()}
