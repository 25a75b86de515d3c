"""The computation as a background job, and the monthly automatic run (定时任务)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kam.jobs.scheduler import register_periodic
from kam.jobs.services import job_handler


@job_handler("assessment.run", label=_("Assessment computation"), max_attempts=2)
def run_assessment(job, params, progress):
    from .services import run_execute

    progress(0, 1, _("Computing"))
    run = run_execute(run_id=int(params["run_id"]))
    progress(1)
    return {"run": run.pk, "period": run.period, "results": run.result_count}


# Every day at 02:00: on or after the computation day (parameter assessment.compute_day, 7), last
# month is computed once automatically.
register_periodic("assessment.compute", _("Monthly assessment computation"),
                  "kam.assessment.services.assessment_compute_due", "0 2 *")
