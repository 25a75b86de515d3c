from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "kam.exchange"
    label = "exchange"
    verbose_name = _("Excel import and export")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from kam.core.registry import ACTION_ANALYSE as A
        from kam.core.registry import ACTION_CHANGE as C
        from kam.core.registry import ACTION_VIEW as V
        from kam.core.registry import MenuEntry, register_menu, register_module

        own = ((V, C), "own")
        register_module("imports", _("Import batches"), "system", {
            "admin": ((V, C, A), "all"), "leader": own, "supervisor": own, "account_manager": own,
            "reviewer_county": own, "reviewer_bureau": own, "reviewer_city": own, "reviewer_province": own,
        })
        register_menu("system", MenuEntry(_("Import batches"), "exchange:batch_list", "imports", order=90))

        from . import org_specs  # noqa: F401

        # Every app declares its specs in ``<app>/exchange.py``.
        autodiscover_modules("exchange")

        from . import hooks

        hooks.register()

        if apps.is_installed("kam.jobs"):
            from kam.jobs.services import job_handler

            from . import services

            job_handler(services.IMPORT_JOB, label=_("Excel import"), max_attempts=1)(services.import_run_job)
            job_handler(services.EXPORT_JOB, label=_("Excel export"))(services.export_run_job)
