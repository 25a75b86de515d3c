from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TodoConfig(AppConfig):
    name = "kam.todo"
    label = "todo"
    verbose_name = _("Task list")

    def ready(self) -> None:
        from kam import audit
        from kam.core.demo import register_demo_step
        from kam.core.registry import ACTION_ANALYSE as A
        from kam.core.registry import ACTION_CHANGE as C
        from kam.core.registry import ACTION_VIEW as V
        from kam.core.registry import MenuEntry, register_home_panel, register_menu, register_module
        from kam.jobs.scheduler import register_periodic

        from . import models
        from .demo import todo_demo
        from .panels import todo_home_panel
        from .services import reminders_sweep
        from .sources import register_sources

        # 订阅与提醒: every role keeps its own subscriptions and reminders.
        own = ((V, C), "own")
        register_module(models.MODULE, _("Subscriptions and reminders"), "marketing", {
            "admin": ((V, C, A), "all"), "leader": own, "supervisor": own, "account_manager": own,
            "reviewer_county": own, "reviewer_bureau": own, "reviewer_city": own, "reviewer_province": own,
        })
        # 领导交办: supervisors assign to their subordinates, leaders and centres within their part of
        # the tree; everyone sees what is assigned to them (and may note a to-do for themselves).
        register_module(models.ITEMS_MODULE, _("Assigned items"), "marketing", {
            "admin": ((V, C, A), "all"),
            "leader": ((V, C, A), "subtree"),
            "reviewer_province": ((V, C), "subtree"),
            "reviewer_city": ((V, C), "subtree"),
            "reviewer_bureau": ((V, C), "own"),
            "reviewer_county": ((V, C), "own"),
            "supervisor": ((V, C, A), "own_sub"),
            "account_manager": ((V, C), "own"),
        })
        register_menu("marketing", MenuEntry(_("Task list"), "todo:list", models.MODULE, order=60))
        register_menu("marketing", MenuEntry(_("Assigned items"), "todo:item_list", models.ITEMS_MODULE, order=61))
        register_menu("marketing", MenuEntry(_("Subscriptions"), "todo:subscription_list", models.MODULE,
                                             order=62))
        register_menu("marketing", MenuEntry(_("Reminders"), "todo:reminder_list", models.MODULE, order=63))
        register_home_panel(5, "todo.list", todo_home_panel, template="todo/home_panel.html")
        register_periodic("todo.reminders", _("Task-list reminders"), reminders_sweep, 60)
        register_demo_step(75, "todo", todo_demo)
        register_sources()
        audit.register(models.TodoItem)
        audit.register(models.Subscription)
