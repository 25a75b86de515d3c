from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "kam.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from kam.core.registry import ACTION_ANALYSE as A
        from kam.core.registry import ACTION_CHANGE as C
        from kam.core.registry import ACTION_VIEW as V
        from kam.core.registry import MenuEntry, register_menu, register_module
        from kam.org.models import BusinessLine, BusinessType, Grant, OrgUnit, Role, User

        from .registry import register

        register_module("audit", _("Audit trail"), "system", {"admin": ((V, C, A), "all")})
        register_menu("system", MenuEntry(_("Audit trail"), "audit:entry_list", "audit", order=85))

        # The org app's models; every other app registers its own in its ready().
        register(OrgUnit)
        register(User, exclude=["password", "last_login", "groups", "user_permissions"])
        register(Role)
        register(Grant)
        register(BusinessLine)
        register(BusinessType)
