"""URLs of the REST API, mounted at ``/api/v1/``.

Registering an app's API: give the app an ``api.py`` with

    def router_register(router):
        router.register("customers/customers", CustomerViewSet, basename="customers-customer")

and, for plain views, an optional ``urlpatterns`` list in the same module. Every installed
``kam.*`` app with an ``api`` module is picked up here in ``INSTALLED_APPS`` order, so an app's
routes appear without editing this file; prefixes start with the app's code (``org/…``,
``customers/…``). Viewsets derive from ``kam.api.viewsets.ScopedModelViewSet`` (scope-restricted
querysets, writes through services) and name their permission module (``module = "…"``).
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.urls import include, path
from django.utils.module_loading import module_has_submodule
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import auth

app_name = "api"

router = DefaultRouter()
app_urlpatterns: list = []

for config in apps.get_app_configs():
    if not config.name.startswith("kam.") or config.name == "kam.api":
        continue
    if not module_has_submodule(config.module, "api"):
        continue
    module = import_module(f"{config.name}.api")
    if hasattr(module, "router_register"):
        module.router_register(router)
    app_urlpatterns += getattr(module, "urlpatterns", [])

urlpatterns = [
    path("auth/token/", auth.TokenObtainView.as_view(), name="auth-token"),
    path("auth/password/", auth.PasswordChangeView.as_view(), name="auth-password"),
    path("auth/me/", auth.MeView.as_view(), name="auth-me"),
    path("auth/logout/", auth.LogoutView.as_view(), name="auth-logout"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *app_urlpatterns,
    path("", include(router.urls)),
]
