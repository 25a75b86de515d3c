from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SystemConfig(AppConfig):
    name = "kam.system"
    label = "system"
    verbose_name = _("System administration")

    def ready(self) -> None:
        from kam.core.registry import ACTION_ANALYSE as A
        from kam.core.registry import ACTION_CHANGE as C
        from kam.core.registry import ACTION_VIEW as V
        from kam.core.registry import MenuEntry, register_menu, register_module

        admin_all = {"admin": ((V, C, A), "all")}
        register_module("dictionaries", _("Dictionaries"), "system", admin_all)
        register_module("parameters", _("Parameters"), "system", admin_all)
        # Everyone reads the published announcements addressed to them (selectors.announcements_for);
        # this module governs managing them.
        register_module("announcements", _("Announcements"), "system", admin_all)
        register_module("operation_log", _("Operation log"), "system", admin_all)
        register_module("login_log", _("Login log"), "system", admin_all)
        register_module("online_users", _("Online users"), "system", admin_all)

        register_menu("system", MenuEntry(_("Dictionaries"), "system:dict_type_list", "dictionaries", order=50))
        register_menu("system", MenuEntry(_("Parameters"), "system:parameter_list", "parameters", order=60))
        register_menu("system", MenuEntry(_("Announcements"), "system:announcement_list", "announcements",
                                          order=70))
        register_menu("system", MenuEntry(_("Operation log"), "system:operation_log_list", "operation_log",
                                          order=80))
        register_menu("system", MenuEntry(_("Login log"), "system:login_log_list", "login_log", order=90))
        register_menu("system", MenuEntry(_("Online users"), "system:online_list", "online_users", order=100))

        from django.apps import apps

        if apps.is_installed("kam.audit"):  # who changed which dictionary, parameter or announcement
            from kam import audit

            from .models import Announcement, DictType, DictValue, Parameter

            audit.register(DictType)
            audit.register(DictValue)
            audit.register(Parameter, exclude=["updated_at"])
            audit.register(Announcement, exclude=["updated_at"])

        from kam.core.demo import register_demo_step

        from . import signals  # noqa: F401
        from .demo import system_demo

        register_demo_step(90, "system", system_demo)

        from kam.core.registry import register_home_panel

        from .views import announcements_home_panel

        register_home_panel(5, "announcements", announcements_home_panel, template="system/_announcements_home.html")

        if apps.is_installed("kam.jobs"):
            from kam.jobs.scheduler import register_periodic

            register_periodic("system.purge_sessions", _("Remove ended sessions from the online users"),
                              "kam.system.services.online_sessions_purge", 600)
            register_periodic("system.clear_logs", _("Clear operation and login log entries past the retention"),
                              "kam.system.services.logs_clear_expired", "30 2 *")
        post_migrate.connect(_ensure_defaults, sender=self)


def _ensure_defaults(**kwargs):
    from .defaults import ensure_defaults

    ensure_defaults()
