"""Who may call an API endpoint (R-PERM-1, R-AUTH-1).

- :class:`Authenticated` — logged in (token or session) *and* no longer holding the one-time
  initial password. It is the project's default permission class, so every API view refuses a
  user who must still change the initial password, except the views that say otherwise (the
  password change itself and "who am I").
- :class:`ModulePermission` — adds the module grant: a viewset declares ``module = "…"`` (or
  inherits it from its model's ``kam_scope``); safe methods need the ``view`` action, writes need
  ``change``; extra actions listed in ``analyse_actions`` need ``analyse``, and
  ``action_permissions`` maps any viewset action to the grant action it needs.

Record-level scope is not checked here: the viewset's queryset starts from
``Model.objects.restrict(user, action)``, so a record outside the scope is simply not found (404).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from kam.core.registry import ACTION_ANALYSE, ACTION_CHANGE, ACTION_VIEW
from kam.org.permissions import has_perm

PASSWORD_CHANGE_REQUIRED = _(
    "The initial password must be changed before the API can be used: "
    "POST the old and the new password to /api/v1/auth/password/."
)


def required_action(request: Any, view: Any) -> str:
    """The grant action (view / change / analyse) a request on ``view`` needs."""
    name = getattr(view, "action", None)
    explicit = getattr(view, "action_permissions", {}) or {}
    if name in explicit:
        return explicit[name]
    if name and name in (getattr(view, "analyse_actions", ()) or ()):
        return ACTION_ANALYSE
    return ACTION_VIEW if request.method in SAFE_METHODS else ACTION_CHANGE


def view_module(view: Any) -> str | None:
    """The permission module of ``view``: its ``module`` or its model's ``kam_scope.module``."""
    module = getattr(view, "module", None)
    if module:
        return module
    queryset = getattr(view, "queryset", None)
    spec = getattr(getattr(queryset, "model", None), "kam_scope", None)
    return spec.module if spec else None


class Authenticated(BasePermission):
    """Logged in, active, and not holding the one-time initial password (R-AUTH-1)."""

    message = PASSWORD_CHANGE_REQUIRED

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            self.message = _("Authentication credentials were not provided or are not valid.")
            return False
        if getattr(user, "must_change_password", False) and not getattr(view, "allow_initial_password", False):
            self.message = PASSWORD_CHANGE_REQUIRED
            return False
        return True


class ModulePermission(Authenticated):
    """The user holds an effective grant of the view's module for the needed action (R-PERM-1)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        module = view_module(view)
        if module is None:
            raise RuntimeError(f"{type(view).__name__} declares no permission module")
        action = required_action(request, view)
        if has_perm(request.user, module, action):
            return True
        self.message = _("You have no “%(action)s” permission in the module “%(module)s”.") % {
            "action": ACTION_LABELS.get(action, action), "module": module_label(module),
        }
        return False


ACTION_LABELS = {
    ACTION_VIEW: _("query"),
    ACTION_CHANGE: _("add / delete / modify"),
    ACTION_ANALYSE: _("analysis & statistics"),
}


def module_label(code: str) -> str:
    from kam.core.registry import MODULES

    module = MODULES.get(code)
    return str(module.label) if module else code
