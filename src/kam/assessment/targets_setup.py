"""Start-up registrations of assessment targets (考核目标, decision 0025): the permission module,
the menu entries under 绩效考核 (KPI管理) and the audit trail. Called from ``AssessmentConfig.ready``."""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _


def setup() -> None:
    from kam.core.registry import ACTION_ANALYSE as A
    from kam.core.registry import ACTION_CHANGE as C
    from kam.core.registry import ACTION_VIEW as V
    from kam.core.registry import MenuEntry, register_menu, register_module

    from .models import MODULE_TARGETS

    # Targets are placed at their subject like results (R-PERM-2): a manager sees their own, a
    # supervisor their subordinates', a leader the subtree; the administrator sets and decomposes
    # them (other roles get "change" over their units through 角色管理).
    register_module(MODULE_TARGETS, _("Assessment targets"), "kpi", {
        "admin": ((V, C, A), "all"), "leader": ((V, A), "subtree"), "supervisor": ((V, A), "own_sub"),
        "account_manager": ((V,), "own"),
    })
    register_menu("kpi", MenuEntry(_("Assessment targets"), "assessment:target_list", MODULE_TARGETS, V,
                                   order=212))
    register_menu("kpi", MenuEntry(_("Target attainment"), "assessment:target_attainment", MODULE_TARGETS, V,
                                   order=213))
    from kam.core.demo import register_demo_step

    from .demo import targets_demo

    register_demo_step(61, "assessment_targets", targets_demo)

    if apps.is_installed("kam.audit"):
        from kam import audit

        from .models import Target, TargetTierMetrics

        audit.register(Target)
        audit.register(TargetTierMetrics)
