"""One assessment run at scale: 100k account managers × 20 atomic indicators (4 indicators of 5).

Figures:

- our run (``services.run_execute``), first on an empty month and then re-run (which replaces the
  month): read the recorded configuration, the missing-data report, score, write 100k results and
  2M score details with their explanation, the ranks and the input fingerprint. The month is
  scored inside the database: ``kam.assessment.sqlscoring`` on PostgreSQL, ``sqlitescoring``
  (scaled-integer arithmetic) on SQLite;
- the lower bound: hand-written SQL over the base tables producing the same rows — the results,
  the details (value, interval hit, score, weight, contribution, indicator score) and each
  result's score, total and ranks — with none of the run's bookkeeping (no configuration
  snapshot, no missing-data report, no fingerprint, no "held" status);
- for reference, the same arithmetic as one ``SELECT`` returning only the 100k totals (writes
  nothing);
- the kernel alone (``score_batch`` on values already in memory).

The ratio our run ÷ lower bound compares like with like: both write the same rows on an empty
month; for a re-run both first delete the month's previous rows with the same two statements.
``KAM_BENCH_ASM_SUBJECTS`` changes the number of subjects (default 100000).
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

from django.db import connection, transaction

from bench.common import Context, Result, best_of

PERIOD = "2026-03"
ATOMICS = 20
PER_INDICATOR = 5

MATCH = """(si.lower IS NULL OR mv.value > si.lower OR (mv.value = si.lower AND si.lower_closed))
  AND (si.upper IS NULL OR mv.value < si.upper OR (mv.value = si.upper AND si.upper_closed))"""

TOTALS_SQL = f"""
SELECT mv.subject_id, SUM(si.score * ic.weight * tc.weight)
FROM assessment_metricvalue mv
JOIN assessment_atomicindicator a ON a.metric_id = mv.metric_id
JOIN assessment_scoreinterval si ON si.atomic_id = a.id AND {MATCH}
JOIN assessment_indicatorcomponent ic ON ic.atomic_id = a.id
JOIN assessment_templatecomponent tc ON tc.indicator_id = ic.indicator_id AND tc.template_id = %(template)s
WHERE mv.period = %(period)s AND mv.subject_type = 'manager'
GROUP BY mv.subject_id
"""

# The lower bound that writes the same rows as a run (on an empty month).
BOUND_SQL = [
    """INSERT INTO assessment_result (run_id, period, subject_type, subject_id, user_id, org_unit_id, subject_label,
           template_id, template_name, status, score, bonus, adjustment, total, rank, rank_in_unit, vetoed,
           veto_text)
       SELECT NULL, %(period)s, a.subject_type, a.subject_id, a.user_id, a.org_unit_id, u.name, t.id, t.name,
              'scored', NULL, 0, 0, NULL, NULL, NULL, FALSE, ''
       FROM assessment_assignment a JOIN org_user u ON u.id = a.subject_id
       JOIN assessment_template t ON t.id = a.template_id
       WHERE a.month_from <= %(period)s AND (a.month_to = '' OR a.month_to >= %(period)s)""",
    f"""INSERT INTO assessment_scoredetail (result_id, indicator_id, indicator_name, indicator_weight, indicator_score,
           atomic_id, atomic_name, metric_code, value, measure, interval_position, interval_text, score, weight,
           contribution, status, position)
       SELECT r.id, i.id, i.name, tc.weight,
              SUM(COALESCE(si.score, 0) * ic.weight) OVER (PARTITION BY r.id, i.id), a.id, a.name, m.code,
              mv.value, mv.value, si.position,
              COALESCE(CASE WHEN si.lower_closed THEN '[' ELSE '(' END || COALESCE(CAST(si.lower AS TEXT), '-inf')
                       || ', ' || COALESCE(CAST(si.upper AS TEXT), '+inf')
                       || CASE WHEN si.upper_closed THEN ']' ELSE ')' END, ''),
              COALESCE(si.score, 0), ic.weight, COALESCE(si.score, 0) * ic.weight,
              CASE WHEN mv.value IS NULL THEN 'missing' WHEN si.id IS NULL THEN 'out_of_domain' ELSE 'ok' END,
              tc.position * 100 + ic.position
       FROM assessment_result r
       JOIN assessment_templatecomponent tc ON tc.template_id = r.template_id
       JOIN assessment_indicator i ON i.id = tc.indicator_id
       JOIN assessment_indicatorcomponent ic ON ic.indicator_id = tc.indicator_id
       JOIN assessment_atomicindicator a ON a.id = ic.atomic_id
       JOIN assessment_metric m ON m.id = a.metric_id
       LEFT JOIN assessment_metricvalue mv ON mv.period = r.period AND mv.metric_id = a.metric_id
            AND mv.subject_type = r.subject_type AND mv.subject_id = r.subject_id
       LEFT JOIN assessment_scoreinterval si ON si.atomic_id = a.id AND {MATCH}
       WHERE r.period = %(period)s""",
    "ANALYZE assessment_result",  # the table just grew by the month: let the planner know
    """UPDATE assessment_result SET score = s.score, total = s.score + assessment_result.bonus
           + assessment_result.adjustment
       FROM (SELECT d.result_id, SUM(d.contribution * d.indicator_weight) AS score
             FROM assessment_scoredetail d JOIN assessment_result r ON r.id = d.result_id
             WHERE r.period = %(period)s GROUP BY d.result_id) s
       WHERE assessment_result.id = s.result_id""",
    """UPDATE assessment_result SET rank = k.rk, rank_in_unit = k.rku
       FROM (SELECT id, RANK() OVER (PARTITION BY subject_type ORDER BY total DESC) AS rk,
                    RANK() OVER (PARTITION BY subject_type, org_unit_id ORDER BY total DESC) AS rku
             FROM assessment_result WHERE period = %(period)s) k
       WHERE assessment_result.id = k.id""",
]


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


def _empty_month() -> None:
    from kam.assessment import services

    with transaction.atomic():
        services._delete_month(PERIOD)


def run(ctx: Context) -> list[Result]:
    from kam.assessment import kernel, services
    from kam.assessment.models import AssessmentRun
    from kam.assessment.models import Result as AsmResult

    n = int(os.environ.get("KAM_BENCH_ASM_SUBJECTS", 100000))
    t0 = time.perf_counter()
    template = _setup(n)
    setup = time.perf_counter() - t0
    engine = services.scoring_engine()

    def full_run():
        run = AssessmentRun.objects.create(period=PERIOD, refresh_config=True)
        services.run_execute(run_id=run.pk)

    t = time.perf_counter()
    full_run()  # an empty month
    first = time.perf_counter() - t
    t = time.perf_counter()
    full_run()  # a re-run replaces the month
    rerun = time.perf_counter() - t
    ours = dict(AsmResult.objects.filter(period=PERIOD).values_list("subject_id", "score"))
    ours_details = services.ScoreDetail.objects.filter(result__period=PERIOD).count()

    def bound_run():
        with transaction.atomic(), connection.cursor() as cur:
            for sql in BOUND_SQL:
                cur.execute(sql, {"period": PERIOD})

    bound_times = []
    for _ in range(2):
        _empty_month()
        t = time.perf_counter()
        bound_run()
        bound_times.append(time.perf_counter() - t)
    bound = min(bound_times)
    bound_scores = dict(AsmResult.objects.filter(period=PERIOD).values_list("subject_id", "score"))
    bound_details = services.ScoreDetail.objects.filter(result__period=PERIOD).count()
    same_rows = bound_scores == ours and bound_details == ours_details

    def bound_rerun():  # replacing a month: the same two DELETE statements as ours, then the bound
        with transaction.atomic():
            services._delete_month(PERIOD)
        bound_run()

    t = time.perf_counter()
    bound_rerun()
    rerun_bound = time.perf_counter() - t

    def sql_totals():
        with connection.cursor() as cur:
            cur.execute(TOTALS_SQL, {"template": template.pk, "period": PERIOD})
            return cur.fetchall()

    totals_only = best_of(sql_totals, repeat=3)
    totals = dict(sql_totals())
    agree = all(Decimal(str(totals[k])) == ours[k] for k in list(ours)[:1000])

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
    kernel_agrees = all(batch.template_score[i] == ours[s[1]] for i, s in enumerate(subs))
    label = f"{n:,} subjects × {ATOMICS} atomic indicators"
    return [
        Result(f"assessment run, empty month ({label}; engine: {engine})", f"{first:.1f} s",
               f"{bound:.1f} s (same rows by hand-written SQL)", first / bound,
               f"writes {n:,} results + {n * ATOMICS:,} details; bound writes the same rows: {same_rows}; "
               f"setup {setup:.0f} s"),
        Result("assessment re-run (replaces the month)", f"{rerun:.1f} s",
               f"{rerun_bound:.1f} s (delete the month + the same rows by hand-written SQL)", rerun / rerun_bound,
               "both delete the month's previous rows first; same results, no duplicates"),
        Result("reference: the totals as one SELECT (writes nothing)", f"{first:.1f} s", f"{totals_only:.1f} s",
               first / totals_only, f"SQL totals agree with ours: {agree}"),
        Result("assessment kernel alone (score_batch, values in memory)", f"{kernel_time:.1f} s", f"{bound:.1f} s",
               kernel_time / bound, f"kernel agrees with the run on every subject: {kernel_agrees}"),
    ]
