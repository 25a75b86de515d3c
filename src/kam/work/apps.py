from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "kam.work"
    label = "work"
    verbose_name = _("Work management")

    def ready(self) -> None:
        from kam.core.demo import register_demo_step
        from kam.core.registry import ACTION_ANALYSE as A
        from kam.core.registry import ACTION_CHANGE as C
        from kam.core.registry import ACTION_VIEW as V
        from kam.core.registry import MenuEntry, register_menu, register_module

        # 工作管理: a manager works their own items; a supervisor also their subordinates'; the
        # key-account centres and leaders see their part of the tree.
        register_module("work", _("Work management"), "marketing", {
            "admin": ((V, C, A), "all"),
            "leader": ((V, A), "subtree"),
            "reviewer_province": ((V, C, A), "subtree"),
            "reviewer_city": ((V, C, A), "subtree"),
            "reviewer_bureau": ((V, A), "subtree"),
            "reviewer_county": ((V, A), "subtree"),
            "supervisor": ((V, C, A), "own_sub"),
            "account_manager": ((V, C), "own"),
        })
        # 任务管理: campaigns that generate work items; a manager may run one over their own customers.
        register_module("work_tasks", _("Task management"), "marketing", {
            "admin": ((V, C, A), "all"),
            "leader": ((V, A), "subtree"),
            "reviewer_province": ((V, C, A), "subtree"),
            "reviewer_city": ((V, C, A), "subtree"),
            "supervisor": ((V, C), "own_sub"),
            "account_manager": ((V, C), "own"),
        })
        entries = [
            (_("Task management"), "work:task_list", "work_tasks", V, 10),
            (_("Make a work item"), "work:item_create", "work", C, 11),
            (_("Incomplete work"), "work:open_list", "work", V, 12),
            (_("Completed work"), "work:done_list", "work", V, 13),
            (_("Do-not-disturb customers"), "work:dnd_list", "work", V, 14),
        ]
        for label, url_name, module, action, order in entries:
            register_menu("marketing", MenuEntry(label, url_name, module, action, order))

        from . import (
            jobs,  # noqa: F401 - the generation job handler
            panels,  # noqa: F401 - the customer 360 panel
        )
        from .demo import work_demo
        from .integrations import register_integrations

        register_demo_step(40, "work", work_demo)
        register_integrations()
