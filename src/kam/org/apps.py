from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "kam.org"
    label = "org"
    verbose_name = _("Organisation and permissions")

    def ready(self) -> None:
        from kam.core.registry import ACTION_ANALYSE as A
        from kam.core.registry import ACTION_CHANGE as C
        from kam.core.registry import ACTION_VIEW as V
        from kam.core.registry import MenuEntry, register_menu, register_module

        admin_all = {"admin": ((V, C, A), "all")}
        register_module("org", _("Organisation"), "system",
                        {**admin_all, "leader": ((V, A), "subtree"), "supervisor": ((V,), "subtree"),
                         "account_manager": ((V,), "unit")})
        register_module("users", _("Users"), "system",
                        {**admin_all, "leader": ((V, A), "subtree"), "supervisor": ((V,), "own_sub"),
                         "account_manager": ((V,), "own")})
        register_module("roles", _("Roles and permissions"), "system", admin_all)
        register_module("business_lines", _("Business lines"), "system",
                        {**admin_all, "leader": ((V,), "all"), "supervisor": ((V,), "all"),
                         "account_manager": ((V,), "all"), "reviewer_county": ((V,), "all"),
                         "reviewer_bureau": ((V,), "all"), "reviewer_city": ((V,), "all"),
                         "reviewer_province": ((V,), "all")})
        register_menu("system", MenuEntry(_("Organisation"), "org:unit_list", "org", order=10))
        register_menu("system", MenuEntry(_("Users"), "org:user_list", "users", order=20))
        register_menu("system", MenuEntry(_("Roles and permissions"), "org:role_list", "roles", order=30))
        register_menu("system", MenuEntry(_("Business lines"), "org:line_list", "business_lines", order=40))

        from kam.core.demo import register_demo_step

        from . import signals  # noqa: F401
        from .demo import org_demo

        register_demo_step(10, "org", org_demo)

        from kam.core.registry import register_home_panel

        from .views import my_grants_panel, pending_password_panel

        register_home_panel(10, "org.pending_passwords", pending_password_panel, module="users", action=C)
        register_home_panel(90, "org.my_grants", my_grants_panel)

        post_migrate.connect(_ensure_defaults, sender=self)


def _ensure_defaults(**kwargs):
    from .defaults import ensure_defaults

    ensure_defaults()
