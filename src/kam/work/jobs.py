"""Background job of 工作管理: generating a task's work items (a campaign over many customers)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.jobs.services import job_handler

from .models import Task


@job_handler("work.generate", label=gettext_lazy("Work item generation"))
def generate(job, params, progress):
    from . import services

    task = Task.objects.filter(pk=params.get("task")).first()
    if task is None:
        raise ValidationError(_("The task no longer exists."))
    progress(0, 1, _("Generating work items"))
    task = services.task_generate(user=job.created_by, task=task)
    progress(1, 1)
    return {"task": task.pk, "generated": task.generated_count, "skipped": task.skipped_count,
            "deferred": task.deferred_count, "no_manager": task.no_manager_count}
