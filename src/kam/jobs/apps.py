from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "kam.jobs"
    label = "jobs"
    verbose_name = _("Background and scheduled jobs")

    def ready(self) -> None:
        from kam.core.registry import ACTION_ANALYSE as A
        from kam.core.registry import ACTION_CHANGE as C
        from kam.core.registry import ACTION_VIEW as V
        from kam.core.registry import MenuEntry, register_menu, register_module

        from .scheduler import register_periodic
        from .services import jobs_prune, jobs_sweep_stale

        everyone = ("account_manager", "supervisor", "reviewer_county", "reviewer_bureau", "reviewer_city",
                    "reviewer_province", "leader")
        register_module("scheduler", _("Scheduled jobs"), "system", {"admin": ((V, C, A), "all")})
        register_module("jobs", _("My background jobs"), "system",
                        {**{code: ((V,), "own") for code in everyone}, "admin": ((V, C, A), "all")})
        register_menu("system", MenuEntry(_("Scheduled jobs"), "jobs:scheduled_list", "scheduler", order=90))
        register_menu("system", MenuEntry(_("My background jobs"), "jobs:my_jobs", "jobs", order=95))

        register_periodic("jobs.sweep_stale", _("Retry background jobs of stopped workers"), jobs_sweep_stale, 60)
        register_periodic("jobs.prune", _("Remove finished jobs older than 90 days"), jobs_prune, "30 3 *")

        post_migrate.connect(_sync_periodic, sender=self)


def _sync_periodic(**kwargs):
    from .scheduler import sync_periodic

    sync_periodic()
