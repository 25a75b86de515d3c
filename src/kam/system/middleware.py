"""Middleware of the system app.

- :class:`RequestCacheMiddleware` opens the per-request cache of dictionaries and parameters.
- :class:`OperationLogMiddleware` writes an operation-log entry for every non-GET request of a
  logged-in user: the business action (from the HTTP method, or declared with ``@operation``),
  the module, the duration and the result.
- :class:`OnlineSessionMiddleware` refreshes the online-session row at most once a minute and
  ends a session idle for longer than the ``security.session_minutes`` parameter.
"""

from __future__ import annotations

import logging
import time

from django.contrib.auth import logout
from django.urls import Resolver404, resolve

from kam.core import clock

from . import services
from .cache import request_cache
from .models import OperationAction, OperationResult
from .signals import LAST_KEY, SEEN_KEY

logger = logging.getLogger(__name__)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
SKIP_PREFIXES = ("/static/", "/i18n/", "/media/")
METHOD_ACTIONS = {"POST": OperationAction.CREATE, "PUT": OperationAction.UPDATE,
                  "PATCH": OperationAction.UPDATE, "DELETE": OperationAction.DELETE}
TOUCH_SECONDS = 60
MIN_IDLE_CHECK_SECONDS = 5 * 60  # the smallest allowed session_minutes


def operation(action: str, *, module: str | None = None, description: str | None = None):
    """Declare the business action of a view, a view method or a viewset action::

        @operation("导出", module="customers")
        def export(request): …

    ``action`` is a code (``export``) or its Chinese name (``导出``).
    """
    code = services.normalise_action(action)

    def decorate(target):
        target.kam_operation = {"action": code, "module": module, "description": description}
        return target

    return decorate


def describe_operation(request, description: str, *, action: str | None = None) -> None:
    """Set the description (and optionally the action) of the current request's log entry."""
    raw = getattr(request, "_request", request)  # a DRF request wraps Django's
    raw.kam_operation = {"description": description,
                         "action": services.normalise_action(action) if action else None}


class RequestCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_cache():
            return self.get_response(request)


def _declared(view_func, method: str) -> tuple[dict, object | None]:
    """The ``@operation`` declaration of the handler and the view class, if any."""
    if view_func is None:
        return {}, None
    cls = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    handler = None
    if cls is not None:
        actions = getattr(view_func, "actions", None)  # DRF viewset: method -> action name
        name = actions.get(method.lower()) if actions else method.lower()
        handler = getattr(cls, name, None) if name else None
    for target in (handler, view_func, cls):
        declared = getattr(target, "kam_operation", None) if target is not None else None
        if declared:
            return dict(declared), cls
    return {}, cls


class OperationLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in SAFE_METHODS or request.path.startswith(SKIP_PREFIXES):
            return self.get_response(request)
        start = time.perf_counter()
        response = self.get_response(request)
        duration_ms = int((time.perf_counter() - start) * 1000)
        try:
            self._record(request, response, duration_ms)
        except Exception:  # the log must never break the request
            logger.exception("operation log entry could not be written")
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._kam_view = view_func

    def process_exception(self, request, exception):
        request._kam_exception = exception

    def _record(self, request, response, duration_ms: int) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(request, "_kam_operation_logged", False):
            return
        declared, cls = _declared(getattr(request, "_kam_view", None), request.method)
        runtime = getattr(request, "kam_operation", None) or {}
        action = runtime.get("action") or declared.get("action") or METHOD_ACTIONS.get(
            request.method, OperationAction.OTHER)
        model = getattr(cls, "model", None) or getattr(getattr(cls, "queryset", None), "model", None)
        spec = getattr(model, "kam_scope", None)
        module = (declared.get("module") or getattr(cls, "module", None) or getattr(cls, "operation_module", None)
                  or getattr(spec, "module", None))
        url_name = ""
        try:
            match = resolve(request.path_info)
            url_name = match.view_name
            module = module or match.namespace or match.app_name
        except Resolver404:
            pass
        description = (runtime.get("description") or declared.get("description")
                       or (str(model._meta.verbose_name) if model is not None else "") or url_name or request.path)
        status = response.status_code
        error = ""
        exception = getattr(request, "_kam_exception", None)
        if exception is not None:
            error = f"{type(exception).__name__}: {exception}"
        elif status >= 400:
            error = f"HTTP {status}"
            if response.get("Content-Type", "").startswith("application/json") and not response.streaming:
                error += " " + response.content[:1500].decode("utf-8", "replace")
        services.log_operation(
            user=user, action=action, module=str(module or ""), description=str(description),
            request=request, result=OperationResult.FAILURE if status >= 400 else OperationResult.SUCCESS,
            error_message=error, duration_ms=duration_ms, status_code=status,
        )


class OnlineSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and user.is_authenticated and session is not None and session.session_key:
            now = int(clock.now().timestamp())
            last = session.get(LAST_KEY)
            if last and now - last > MIN_IDLE_CHECK_SECONDS and self._idle_too_long(now - last):
                services.session_end(session_key=session.session_key)
                logout(request)
                return self.get_response(request)
            session[LAST_KEY] = now
            if now - session.get(SEEN_KEY, 0) >= TOUCH_SECONDS:
                services.session_touch(request=request, user=user)
                session[SEEN_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _idle_too_long(idle_seconds: int) -> bool:
        from .selectors import param

        return idle_seconds > param("security.session_minutes") * 60
