"""One assessment run at scale: 100k account managers × 20 atomic indicators (4 indicators of 5).

Figures: the whole run (read the month's 2M metric values, score in the kernel, write 100k results
and 2M score details, replacing the month's previous ones), the kernel alone, against the lower
bound: the same arithmetic — interval look-up, weights, sums per subject — as ONE SQL statement
that only returns the 100k totals (no details, no explanation written).

``KAM_BENCH_ASM_SUBJECTS`` changes the number of subjects (default 100000).
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

from django.db import connection

from bench.common import Context, Result, best_of

PERIOD = "2026-03"
ATOMICS = 20
PER_INDICATOR = 5

TOTALS_SQL = """
SELECT mv.subject_id, SUM(si.score * ic.weight * tc.weight)
FROM assessment_metricvalue mv
JOIN assessment_atomicindicator a ON a.metric_id = mv.metric_id
JOIN assessment_scoreinterval si ON si.atomic_id = a.id
  AND (si.lower IS NULL OR mv.value > si.lower OR (mv.value = si.lower AND si.lower_closed))
  AND (si.upper IS NULL OR mv.value < si.upper OR (mv.value = si.upper AND si.upper_closed))
JOIN assessment_indicatorcomponent ic ON ic.atomic_id = a.id
JOIN assessment_templatecomponent tc ON tc.indicator_id = ic.indicator_id AND tc.template_id = %s
WHERE mv.period = %s AND mv.subject_type = 'manager'
GROUP BY mv.subject_id
"""


def _setup(n: int):
    import datetime as dt
    import random

    from kam.assessment import services
    from kam.assessment.models import (
        Assignment,
        AtomicIndicator,
        Indicator,
        Metric,
        MetricValue,
        SubjectType,
        Template,
    )
    from kam.org.models import OrgUnit, User

    rng = random.Random(7)
    unit = OrgUnit.objects.create(name="基准测试区", code="BENCH-ASM", level="county")
    unit.path = f"{unit.pk:07d}."
    unit.save(update_fields=["path"])
    User.objects.bulk_create([User(username=f"asm{i:06d}", name=f"经理{i}", org_unit=unit, password="!")
                              for i in range(n)], batch_size=5000)
    ids = list(User.objects.filter(org_unit=unit).order_by("pk").values_list("pk", flat=True))
    intervals = [
        {"lower": None, "lower_closed": False, "upper": 20, "upper_closed": True, "score": 0},
        {"lower": 20, "lower_closed": False, "upper": 40, "upper_closed": True, "score": 25},
        {"lower": 40, "lower_closed": False, "upper": 60, "upper_closed": True, "score": 50},
        {"lower": 60, "lower_closed": False, "upper": 80, "upper_closed": False, "score": 75},
        {"lower": 80, "lower_closed": True, "upper": None, "upper_closed": False, "score": 100},
    ]
    atomics = []
    for i in range(ATOMICS):
        metric = Metric.objects.create(code=f"bench_m{i}", name=f"基准指标{i}")
        atomics.append(services._atomic_save(AtomicIndicator(), {"name": f"基准原子指标{i}", "metric": metric},
                                             intervals))
    indicators = []
    for j in range(ATOMICS // PER_INDICATOR):
        part = atomics[j * PER_INDICATOR:(j + 1) * PER_INDICATOR]
        indicators.append(services._indicator_save(Indicator(name=f"基准考核指标{j}"), [
            {"atomic": a, "weight": "0.2"} for a in part]))
    template = services._template_save(
        Template(name="基准模板", valid_from=dt.date(2026, 3, 1), valid_to=dt.date(2026, 4, 30)),
        [{"indicator": ind, "weight": "0.25"} for ind in indicators])
    Assignment.objects.bulk_create([Assignment(template=template, subject_type=SubjectType.MANAGER, subject_id=pk,
                                               user_id=pk, org_unit=unit, month_from=PERIOD, month_to=PERIOD)
                                    for pk in ids], batch_size=5000)
    metric_ids = [a.metric_id for a in atomics]
    now = dt.datetime.now(dt.UTC)
    services._fast_insert(
        MetricValue, ("metric_id", "subject_type", "subject_id", "user_id", "org_unit_id", "period", "value", "source",
                      "updated_at"),
        ((m, SubjectType.MANAGER.value, pk, pk, unit.pk, PERIOD, Decimal(rng.randint(0, 10000)) / 100, "import", now)
         for pk in ids for m in metric_ids))
    return template


def run(ctx: Context) -> list[Result]:
    from kam.assessment import kernel, services
    from kam.assessment.models import AssessmentRun
    from kam.assessment.models import Result as AsmResult

    n = int(os.environ.get("KAM_BENCH_ASM_SUBJECTS", 100000))
    t0 = time.perf_counter()
    template = _setup(n)
    setup = time.perf_counter() - t0

    def full_run():
        run = AssessmentRun.objects.create(period=PERIOD)
        services.run_execute(run_id=run.pk)

    t = time.perf_counter()
    full_run()
    first = time.perf_counter() - t
    t = time.perf_counter()
    full_run()  # a re-run replaces the month
    rerun = time.perf_counter() - t

    config = services.build_config(PERIOD)
    values = services._load_values(PERIOD, config)
    atomics = {int(aid): services._kernel_atomic(aid, s) for aid, s in config["atomics"].items()}
    subs = config["subjects"]
    t_spec = config["templates"][str(template.pk)]
    spec = kernel.TemplateSpec(template.pk, tuple(
        kernel.IndicatorSpec(iid, Decimal(w), tuple((aid, Decimal(aw)) for aid, aw in
                                                    config["indicators"][str(iid)]["atomics"]))
        for iid, w in t_spec["indicators"]))
    cols = {aid: [values.get((config["atomics"][str(aid)]["metric_id"], s[0], s[1])) for s in subs]
            for aid in atomics}
    t = time.perf_counter()
    batch = kernel.score_batch(spec, atomics, [(s[0], s[1]) for s in subs], cols)
    kernel_time = time.perf_counter() - t

    def sql_totals():
        with connection.cursor() as cur:
            cur.execute(TOTALS_SQL, [template.pk, PERIOD])
            return cur.fetchall()

    bound = best_of(sql_totals, repeat=3)
    rows = dict(sql_totals())
    ours = dict(AsmResult.objects.filter(period=PERIOD).values_list("subject_id", "score"))
    agree = all(Decimal(str(rows[k])) == ours[k] for k in list(ours)[:1000])
    assert batch.template_score[0] == ours[subs[0][1]]
    label = f"{n:,} subjects × {ATOMICS} atomic indicators"
    return [
        Result(f"assessment run ({label})", f"{first:.1f} s", f"{bound:.1f} s (one SQL, totals only)",
               first / bound, f"reads {n * ATOMICS:,} values, writes {n:,} results + {n * ATOMICS:,} details; "
               f"setup {setup:.0f} s"),
        Result("assessment re-run (replaces the month)", f"{rerun:.1f} s", f"{bound:.1f} s", rerun / bound,
               "same results, no duplicates"),
        Result("assessment kernel alone (score_batch)", f"{kernel_time:.1f} s", f"{bound:.1f} s",
               kernel_time / bound, f"SQL and kernel totals agree: {agree}"),
    ]
