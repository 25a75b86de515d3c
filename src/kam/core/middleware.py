"""Language choice: pages are Chinese unless the user picked another language.

Browsers in an English locale would otherwise get English pages through ``Accept-Language``; the
product's default is zh-hans, and a person switches with the language selector (a cookie). API
clients choose with ``Accept-Language`` as integrators expect.
"""

from __future__ import annotations


class DefaultLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
