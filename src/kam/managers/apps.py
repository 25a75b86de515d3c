from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManagersConfig(AppConfig):
    name = "kam.managers"
    label = "managers"
    verbose_name = _("Account managers")

    def ready(self) -> None:
        from kam.core.demo import register_demo_step
        from kam.core.registry import ACTION_ANALYSE as A
        from kam.core.registry import ACTION_CHANGE as C
        from kam.core.registry import ACTION_VIEW as V
        from kam.core.registry import MenuEntry, register_menu, register_module

        # 客户经理管理: a manager sees their own profile, a supervisor their subordinates', the
        # key-account centres and leaders their part of the tree, the administrator everything.
        register_module("managers", _("Account managers"), "customers", {
            "admin": ((V, C, A), "all"),
            "leader": ((V, A), "subtree"),
            "reviewer_province": ((V, C, A), "subtree"),
            "reviewer_city": ((V, C, A), "subtree"),
            "reviewer_bureau": ((V,), "subtree"),
            "reviewer_county": ((V, C), "subtree"),
            "supervisor": ((V, A), "own_sub"),
            "account_manager": ((V,), "own"),
        })
        register_menu("customers", MenuEntry(_("Account managers"), "managers:list", "managers", order=50))
        register_menu("customers", MenuEntry(_("New account manager"), "managers:create", "managers", C, order=51))

        from .demo import managers_demo

        register_demo_step(20, "managers", managers_demo)

        from kam import audit

        from .models import AccountManager, Training, WorkExperience

        audit.register(AccountManager, exclude=["created_at", "updated_at"])
        audit.register(Training)
        audit.register(WorkExperience)
