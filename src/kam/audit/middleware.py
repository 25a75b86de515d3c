"""Binds the acting request to the audit context (user, request id, client address)."""

from __future__ import annotations

from .context import request_context


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_context(request) as ctx:
            response = self.get_response(request)
        response.setdefault("X-Request-ID", ctx.request_id)
        return response
