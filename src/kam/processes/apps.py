from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "kam.processes"
    label = "processes"
    verbose_name = _("Process management")

    def ready(self) -> None:
        from kam import audit
        from kam.core.demo import register_demo_step
        from kam.core.registry import ACTION_ANALYSE as A
        from kam.core.registry import ACTION_CHANGE as C
        from kam.core.registry import ACTION_VIEW as V
        from kam.core.registry import MenuEntry, register_home_panel, register_menu, register_module
        from kam.jobs.scheduler import register_periodic

        from . import models
        from .connectors import register_connector
        from .demo import processes_demo
        from .panels import todo_panel
        from .services import service_calls_sweep, starts_sweep, timers_sweep, work_order_connector

        # 流程实例 / 待办: everyone starts processes and sees their own; a task's assignee always
        # sees it (selectors.tasks_visible); supervisors and centres follow their part of the tree.
        register_module(models.MODULE, _("Processes and tasks"), "processes", {
            "admin": ((V, C, A), "all"),
            "leader": ((V, A), "subtree"),
            "reviewer_province": ((V, C, A), "subtree"),
            "reviewer_city": ((V, C, A), "subtree"),
            "reviewer_bureau": ((V, C), "own"),
            "reviewer_county": ((V, C), "own"),
            "supervisor": ((V, C), "own_sub"),
            "account_manager": ((V, C), "own"),
        })
        # 流程设置: designing, versioning and activating definitions.
        register_module(models.DESIGN_MODULE, _("Process definitions"), "processes", {
            "admin": ((V, C, A), "all"),
            "reviewer_province": ((V,), "all"),
            "reviewer_city": ((V,), "all"),
        })
        register_menu("processes", MenuEntry(_("My tasks"), "processes:task_list", models.MODULE, order=10))
        register_menu("processes", MenuEntry(_("Start a process"), "processes:start_list", models.MODULE,
                                             action=C, order=15))
        register_menu("processes", MenuEntry(_("Process instances"), "processes:instance_list", models.MODULE,
                                             order=20))
        register_menu("processes", MenuEntry(_("Process monitoring"), "processes:statistics", models.MODULE,
                                             action=A, order=25))
        register_menu("processes", MenuEntry(_("Process definitions"), "processes:definition_list",
                                             models.DESIGN_MODULE, order=30))
        register_home_panel(20, "processes.todo", todo_panel)
        register_periodic("processes.timers", _("Process reminders and escalations"), timers_sweep, 60)
        register_periodic("processes.starts", _("Scheduled process starts"), starts_sweep, 60)
        register_periodic("processes.service_calls", _("Process service calls"), service_calls_sweep, 60)
        register_connector("work_order", work_order_connector)
        register_demo_step(50, "processes", processes_demo)
        audit.register(models.ProcessDefinition)
        audit.register(models.ProcessVersion, exclude=["bpmn_xml"])
        post_migrate.connect(_load_definitions, sender=self)


def _load_definitions(**kwargs):
    from .loader import load_shipped_definitions

    load_shipped_definitions()
