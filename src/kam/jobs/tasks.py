"""The ``django.tasks`` entry points the worker executes."""

from __future__ import annotations

from django.tasks import task
from django.tasks.base import TaskContext


@task(takes_context=True)
def run_job(context: TaskContext, job_id: int) -> str:
    from .services import execute_job

    return execute_job(job_id)


@task(takes_context=True)
def run_scheduled(context: TaskContext, run_id: int) -> str:
    from .scheduler import execute_run

    workers = context.task_result.worker_ids
    return execute_run(run_id, worker=workers[-1] if workers else "")
