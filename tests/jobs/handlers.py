"""Job handlers used by the tests (imported by the tests and by the worker subprocesses)."""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError

from kam.jobs.services import job_handler
from kam.org.models import BusinessLine

CALLS: list[str] = []


@job_handler("tests.lines", label="创建专业类型")
def create_lines(job, params, progress):
    """Create ``count`` business lines ``<prefix>-<i>``, sleeping ``delay`` seconds after each
    (first attempt only, so a retry runs fast)."""
    count, prefix, delay = params["count"], params["prefix"], params.get("delay", 0)
    progress(0, count, "开始")
    for i in range(1, count + 1):
        BusinessLine.objects.create(code=f"{prefix}-{i}", name=f"{prefix}-{i}")
        progress(i, message=f"已创建 {i}")
        if delay and job.attempts == 1:
            time.sleep(delay)
    if params.get("fail_at_end"):
        raise ValidationError("第 3 行: 名称重复")
    if params.get("file"):
        job.attach_file("result.txt", f"{count} lines".encode())
    return {"created": count}


def periodic_mark() -> str:
    """A periodic job for the scheduler tests: one business line per run."""
    n = BusinessLine.objects.filter(code__startswith="tick-").count() + 1
    BusinessLine.objects.create(code=f"tick-{n}", name=f"tick-{n}")
    CALLS.append("tick")
    return f"tick {n}"


def periodic_boom() -> None:
    raise RuntimeError("定时任务出错")
