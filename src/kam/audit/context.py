"""Who is acting: a context variable set per web/API request and per background job.

The request's user is resolved when an entry is written, not when the request starts: the API
authenticates (token) inside the view, after the middleware ran.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class AuditContext:
    source: str  # "web", "api", "job", "system"
    request: Any = None
    user: Any = None
    request_id: str = ""
    ip: str | None = None

    def actor(self) -> Any:
        if self.request is not None:
            user = getattr(self.request, "user", None)
            if user is not None and getattr(user, "is_authenticated", False):
                return user
            return None
        return self.user


_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("kam_audit_context", default=None)


def current() -> AuditContext | None:
    return _current.get()


def client_ip(request: Any) -> str | None:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR", "")
    return ip or None


@contextmanager
def request_context(request: Any) -> Iterator[AuditContext]:
    """Bind the acting request (its user, a request id and the client address)."""
    source = "api" if request.path.startswith("/api/") else "web"
    request_id = request.META.get("HTTP_X_REQUEST_ID", "")[:64] or uuid.uuid4().hex
    ctx = AuditContext(source=source, request=request, request_id=request_id, ip=client_ip(request))
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextmanager
def actor_context(user: Any, *, source: str = "job", request_id: str = "") -> Iterator[AuditContext]:
    """Bind an actor outside a request: a background job (its starter) or a command."""
    ctx = AuditContext(source=source, user=user, request_id=request_id)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
