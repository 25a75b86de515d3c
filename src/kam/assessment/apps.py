from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_builtin_metrics(sender, using="default", **kwargs) -> None:
    """After ``migrate``: one Metric row per registered built-in metric."""
    from .services import builtin_metrics_sync

    builtin_metrics_sync()


class AssessmentConfig(AppConfig):
    name = "kam.assessment"
    label = "assessment"
    verbose_name = _("Performance assessment")

    def ready(self) -> None:
        from kam.core.registry import ACTION_ANALYSE as A
        from kam.core.registry import ACTION_CHANGE as C
        from kam.core.registry import ACTION_VIEW as V
        from kam.core.registry import MenuEntry, register_menu, register_module

        from .models import MODULE_CONFIG, MODULE_DATA, MODULE_RESULTS, MODULE_RUN

        admin_all = {"admin": ((V, C, A), "all")}
        # 考核配置: the catalogues (metrics, indicators, templates) are visible to every role that
        # takes part; assignments are placed at their subject, so the scope decides whose.
        register_module(MODULE_CONFIG, _("Assessment configuration"), "kpi", {
            **admin_all, "leader": ((V, A), "subtree"), "supervisor": ((V,), "own_sub"),
            "account_manager": ((V,), "own"),
        })
        register_module(MODULE_DATA, _("Assessment data"), "kpi", {
            **admin_all, "leader": ((V, A), "subtree"), "supervisor": ((V,), "own_sub"),
            "account_manager": ((V,), "own"),
        })
        register_module(MODULE_RUN, _("Assessment computation"), "kpi", admin_all)
        # R-PERM-2: a superior queries and modifies every subordinate's assessment records, a
        # staff member sees only their own.
        register_module(MODULE_RESULTS, _("Assessment results"), "kpi", {
            **admin_all, "leader": ((V, A), "subtree"), "supervisor": ((V, C, A), "own_sub"),
            "account_manager": ((V,), "own"),
        })
        for order, (label, url_name, module, action) in enumerate([
            (_("Metrics"), "assessment:metric_list", MODULE_CONFIG, V),
            (_("Atomic indicators"), "assessment:atomic_list", MODULE_CONFIG, V),
            (_("Assessment indicators"), "assessment:indicator_list", MODULE_CONFIG, V),
            (_("Assessment templates"), "assessment:template_list", MODULE_CONFIG, V),
            (_("Template assignments"), "assessment:assignment_list", MODULE_CONFIG, V),
            (_("What-if"), "assessment:what_if", MODULE_CONFIG, V),
            (_("Assessment computation"), "assessment:run_list", MODULE_RUN, V),
            (_("Score adjustments"), "assessment:adjustment_list", MODULE_RESULTS, V),
            (_("Bonus points"), "assessment:bonus_list", MODULE_RESULTS, V),
            (_("Assessment notes"), "assessment:note_list", MODULE_RESULTS, V),
            (_("Score details"), "assessment:detail_list", MODULE_RESULTS, V),
            (_("Assessment results"), "assessment:result_list", MODULE_RESULTS, V),
        ]):
            register_menu("kpi", MenuEntry(label, url_name, module, action, order=200 + order))

        from kam.core.demo import register_demo_step

        from .demo import assessment_demo

        register_demo_step(60, "assessment", assessment_demo)
        post_migrate.connect(_sync_builtin_metrics, sender=self)

        if apps.is_installed("kam.jobs"):
            from . import jobs  # noqa: F401  (registers the run handler and the monthly job)
        if apps.is_installed("kam.audit"):
            from kam import audit

            from .models import (
                Adjustment,
                AssessmentNote,
                Assignment,
                AtomicIndicator,
                Bonus,
                Indicator,
                Metric,
                Template,
            )

            # Every adjustment is audited (R-ASM-6), as are configuration changes.
            for model in (Adjustment, Bonus, AssessmentNote, Metric, AtomicIndicator, Indicator, Template,
                          Assignment):
                audit.register(model)

        # 考核目标 and 目标达成 (decision 0025).
        from .targets_setup import setup as targets_setup

        targets_setup()
        _register_confirmation_and_appeals()


def _register_confirmation_and_appeals() -> None:
    """结果确认 and 申诉 (decision 0026): menus, the task-list source, the deadline job, the process
    signal and the audit trail."""
    from kam.core.registry import ACTION_VIEW as V
    from kam.core.registry import MenuEntry, TodoSource, register_menu, register_todo_source

    from . import appeals
    from .models import MODULE_RESULTS, MODULE_RUN, Appeal, Publication, ResultConfirmation

    for order, (label, url_name, module) in enumerate([
        (_("Publish results"), "assessment:publication_list", MODULE_RUN),
        (_("Confirm my results"), "assessment:confirmation_list", MODULE_RESULTS),
        (_("Appeals"), "assessment:appeal_list", MODULE_RESULTS),
    ]):
        register_menu("kpi", MenuEntry(label, url_name, module, V, order=230 + order))
    register_todo_source(TodoSource(code=appeals.TODO_SOURCE, label=_("Assessment results to confirm"),
                                    entries=appeals.todo_entries, module=MODULE_RESULTS,
                                    current=appeals.open_confirmations))
    if apps.is_installed("kam.jobs"):
        from kam.jobs.scheduler import register_periodic

        # Every day at 00:30: publications whose confirmation deadline has passed are closed once.
        register_periodic("assessment.confirm_due", _("Assessment result confirmation deadline"),
                          "kam.assessment.appeals.confirmations_close_due", "30 0 *")
    if apps.is_installed("kam.processes"):
        from kam.processes.services import instance_ended

        instance_ended.connect(appeals.on_process_ended, dispatch_uid="assessment.appeal_ended")
    if apps.is_installed("kam.audit"):
        from kam import audit

        for model in (Publication, ResultConfirmation, Appeal):
            audit.register(model)
