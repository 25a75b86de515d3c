"""Login log, online sessions and cache invalidation, wired to Django's and django-axes' signals."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from kam.core import clock

from . import services
from .cache import invalidate
from .models import DictType, DictValue, LoginResult, Parameter
from .selectors import DICTS_KEY, PARAMS_KEY

SEEN_KEY = "_kam_seen"  # last time the online-session row was refreshed (epoch seconds)
LAST_KEY = "_kam_last"  # last request of the session (epoch seconds), for the idle timeout
_STASH = "_kam_login_log"


@receiver(user_logged_in, dispatch_uid="kam_system_logged_in")
def _logged_in(sender, request, user, **kwargs):
    if request is None:
        return
    # The login is in the login log; the login POST is not an operation-log entry.
    _raw(request)._kam_operation_logged = True
    services.login_log_record(request=request, username=user.get_username(), user=user,
                              result=LoginResult.SUCCESS, message=_("Logged in"))
    session = getattr(request, "session", None)
    # Only a login into a session (django.contrib.auth.login) makes an online session; an API
    # token login has none.
    if session is not None and session.get(SESSION_KEY) is not None:
        services.session_register(request=request, user=user)
        now = int(clock.now().timestamp())
        session[SEEN_KEY] = now
        session[LAST_KEY] = now


def _raw(request):
    return getattr(request, "_request", request)  # a DRF request wraps Django's


@receiver(user_login_failed, dispatch_uid="kam_system_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    if request is not None and getattr(_raw(request), _STASH, None) is not None:
        return  # the lockout of this attempt is already logged
    username = str((credentials or {}).get("username") or "")
    user = services.user_by_username(username) if username else None
    if request is not None and getattr(request, "axes_locked_out", False):
        result, message = LoginResult.LOCKED, _("Too many failed logins; the account is locked for a while")
    else:
        result, message = LoginResult.FAILURE, _("Wrong account or password")
    entry = services.login_log_record(request=request, username=username, user=user, result=result,
                                      message=message)
    if request is not None:
        setattr(_raw(request), _STASH, entry)


@receiver(user_locked_out, dispatch_uid="kam_system_locked_out")
def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    """django-axes locked the account (it signals before or after ``user_login_failed``)."""
    message = _("Too many failed logins; the account is locked for a while")
    entry = getattr(_raw(request), _STASH, None) if request is not None else None
    if entry is not None:
        entry.result, entry.message = LoginResult.LOCKED, message
        entry.save(update_fields=["result", "message"])
        return
    user = services.user_by_username(username) if username else None
    entry = services.login_log_record(request=request, username=username or "", user=user,
                                      result=LoginResult.LOCKED, message=message)
    if request is not None:
        setattr(_raw(request), _STASH, entry)


@receiver(user_logged_out, dispatch_uid="kam_system_logged_out")
def _logged_out(sender, request=None, user=None, **kwargs):
    if user is not None:
        services.login_log_record(request=request, username=user.get_username(), user=user,
                                  result=LoginResult.SUCCESS, message=_("Logged out successfully"))
    session = getattr(request, "session", None)
    if session is not None:
        services.session_end(session_key=session.session_key)


@receiver(post_save, sender=DictType, dispatch_uid="kam_system_dict_type_saved")
@receiver(post_delete, sender=DictType, dispatch_uid="kam_system_dict_type_deleted")
@receiver(post_save, sender=DictValue, dispatch_uid="kam_system_dict_value_saved")
@receiver(post_delete, sender=DictValue, dispatch_uid="kam_system_dict_value_deleted")
def _dicts_changed(sender, **kwargs):
    invalidate(DICTS_KEY)


@receiver(post_save, sender=Parameter, dispatch_uid="kam_system_parameter_saved")
@receiver(post_delete, sender=Parameter, dispatch_uid="kam_system_parameter_deleted")
def _params_changed(sender, **kwargs):
    invalidate(PARAMS_KEY)
