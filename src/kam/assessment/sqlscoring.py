"""Scoring a month inside PostgreSQL: the kernel's arithmetic as set-based SQL.

A computation run (:func:`kam.assessment.services.compute`) on PostgreSQL scores and writes the
month here instead of moving every value through Python: the recorded configuration is copied
into three temporary tables (subjects, weighted components, intervals), then

1. one ``INSERT … SELECT`` writes the results (bonus points and adjustments summed in);
2. one statement joins every subject × component to its metric value (and target), looks the
   interval up with the same open/closed comparisons as :class:`kernel.Interval.contains`,
   computes score × weight, the indicator score (a window sum) and writes the score details —
   and, from the same rows, the per-result template score and "held" flag and the
   missing-data rows of the report;
3. two ``UPDATE``\\s set the template score, status and total, then the ranks (``RANK()``:
   competition ranking, highest first, within the subject type and within the org unit).

PostgreSQL's ``numeric`` is exact decimal arithmetic like :mod:`decimal`, so every stored number
equals the kernel's; ``tests/assessment/test_sql_scoring.py`` runs both on the same data
(bounds hit exactly, open/closed ends, descending intervals, completion rates, missing values
under both policies, values outside the domain, completion rates with floor and cap hit below,
on and above both limits) and compares every row. A completion rate with floor and cap (保底/封顶)
is ``ROUND(LEAST(GREATEST(rate × full score ÷ 100, floor), cap), 2)``, as :func:`kernel.rate_score`;
a deduction (扣分) the floor or ``ROUND(LEAST(full − per unit × value, full), 2)``, as
:func:`kernel.deduction_score`. Veto items (一票否决) are a lateral join per result: the first
rule as listed whose value is ≥ its threshold sets the total and the text, as
:func:`kernel.score_batch` does.
The pure kernel stays the reference and the engine on other databases.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection

from . import kernel

REPORT_LIST_CAP = 200


@dataclass
class SqlOutcome:
    result_count: int = 0
    blocked: int = 0
    missing: dict[tuple[int, int, str], tuple[int, list[list]]] = field(default_factory=dict)
    values_digest: str = ""


@dataclass(frozen=True)
class Component:
    """One weighted atomic indicator of a recorded template, as both SQL engines copy it."""

    template_id: int
    indicator_id: int
    indicator_name: str
    indicator_weight: str
    atomic_id: int
    atomic: dict
    atomic_weight: str
    position: int  # within the template, as the details are numbered
    rate: bool
    attain: bool  # divides by a target (attainment or completion rate)
    deduct: bool
    block: bool
    clamp_text: str | None  # a rate's "[floor, cap]"
    deduct_text: str | None  # a deduction's formula up to the value, e.g. "100 − 5 × " (kernel.deduction_text)


def components(config: dict):
    """Every weighted atomic indicator of every template of ``config``, in detail order."""
    for tid, t in config["templates"].items():
        position = 0
        for iid, iweight in t["indicators"]:
            ind = config["indicators"][str(iid)]
            for aid, aweight in ind["atomics"]:
                a = config["atomics"][str(aid)]
                position += 1
                rate = a["mode"] == kernel.MODE_RATE
                deduct = a["mode"] == kernel.MODE_DEDUCTION
                yield Component(
                    int(tid), int(iid), ind["name"], iweight, int(aid), a, aweight, position, rate,
                    rate or a["mode"] == kernel.MODE_ATTAINMENT, deduct, a["missing"] == kernel.MISSING_BLOCK,
                    kernel.rate_text(Decimal(a["floor"]), Decimal(a["cap"])) if rate else None,
                    f"{kernel.fmt(Decimal(a['full_score']))} − {kernel.fmt(Decimal(a['per_unit']))} × "
                    if deduct else None)


def _tables() -> dict[str, str]:
    from .models import Adjustment, Bonus, MetricValue, Result, ScoreDetail

    qn = connection.ops.quote_name
    return {"result": qn(Result._meta.db_table), "detail": qn(ScoreDetail._meta.db_table),
            "value": qn(MetricValue._meta.db_table), "bonus": qn(Bonus._meta.db_table),
            "adjustment": qn(Adjustment._meta.db_table)}


def _temp_tables(cursor, config: dict, gone_templates: set[int], result_table: str) -> bool:
    """Copy the configuration into temporary tables; each subject gets its result's id now (from
    the results' sequence) so details and results are written once each, without updates.
    Returns whether any atomic indicator scores a completion rate."""
    for name in ("asm_s", "asm_c", "asm_i", "asm_missing", "asm_agg", "asm_v"):
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
    cursor.execute("CREATE TEMP TABLE asm_s (rid bigint, ord int, subject_type text, subject_id bigint, "
                   "user_id bigint, org_unit_id bigint, label text, template_id bigint, result_template_id bigint, "
                   "template_name text) ON COMMIT DROP")
    cursor.execute("CREATE TEMP TABLE asm_c (template_id bigint, indicator_id bigint, indicator_name text, "
                   "indicator_weight numeric, atomic_id bigint, atomic_name text, metric_id bigint, "
                   "target_metric_id bigint, metric_code text, attain boolean, block boolean, "
                   "atomic_weight numeric, position int, rate boolean, full_score numeric, floor numeric, cap numeric, "
                   "clamp_text text, deduct boolean, per_unit numeric, deduct_text text) ON COMMIT DROP")
    cursor.execute("CREATE TEMP TABLE asm_i (atomic_id bigint, position int, bounds numrange, score numeric, "
                   "text text) ON COMMIT DROP")
    cursor.execute("CREATE TEMP TABLE asm_missing (template_id bigint, atomic_id bigint, status text, "
                   "subject_id bigint, label text, ord int) ON COMMIT DROP")
    cursor.execute("CREATE TEMP TABLE asm_v (template_id bigint, position int, metric_id bigint, threshold numeric, "
                   "total numeric, name text, threshold_text text) ON COMMIT DROP")
    cursor.execute("CREATE TEMP TABLE asm_agg (rid bigint, score numeric, blocked boolean, fingerprint numeric) "
                   "ON COMMIT DROP")
    subjects = config["subjects"]
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                   [result_table.strip('"'), len(subjects)])
    ids = sorted(r[0] for r in cursor.fetchall())
    raw = cursor.cursor  # the psycopg cursor, for COPY
    with raw.copy("COPY asm_s FROM STDIN") as copy:
        for ord_, (s, rid) in enumerate(zip(subjects, ids, strict=True)):
            tid = int(s[5])
            copy.write_row((rid, ord_, s[0], s[1], s[2], s[3], s[4][:100], tid,
                            None if tid in gone_templates else tid, config["templates"][str(tid)]["name"]))
    attain = False
    with raw.copy("COPY asm_c FROM STDIN") as copy:
        for c in components(config):
            a = c.atomic
            attain |= c.attain
            copy.write_row((c.template_id, c.indicator_id, c.indicator_name, c.indicator_weight, c.atomic_id,
                            a["name"], a["metric_id"], a["target_metric_id"], a["metric"], c.attain, c.block,
                            c.atomic_weight, c.position, c.rate, a.get("full_score"), a.get("floor"), a.get("cap"),
                            c.clamp_text, c.deduct, a.get("per_unit"), c.deduct_text))
    with raw.copy("COPY asm_i FROM STDIN") as copy:
        for aid, a in config["atomics"].items():
            for pos, (lo, lc, hi, hc, sc) in enumerate(a["intervals"], 1):
                iv = kernel.make_interval(lo, lc, hi, hc, sc)
                # A numeric range with the same open/closed ends (an empty bound is infinite).
                bounds = ("[" if iv.lower_closed else "(") + ("" if lo is None else str(lo)) + "," + (
                    "" if hi is None else str(hi)) + ("]" if iv.upper_closed else ")")
                copy.write_row((int(aid), pos, bounds, sc, iv.text()))
    with raw.copy("COPY asm_v FROM STDIN") as copy:
        for tid, t in config["templates"].items():
            # veto items (一票否决), as kernel.veto_text writes them: "name = value ≥ threshold"
            for pos, (aid, threshold, total) in enumerate(t.get("vetoes", ()), 1):
                a = config["atomics"][str(aid)]
                copy.write_row((int(tid), pos, a["metric_id"], threshold, total, a["name"],
                                kernel.fmt(Decimal(threshold))))
    cursor.execute("ANALYZE asm_s")
    cursor.execute("ANALYZE asm_c")
    return attain


# value (or completion rate) → interval: range containment, the comparisons of kernel.Interval.contains
SCORED_SQL = """
    base AS (
        SELECT s.rid, s.template_id, s.subject_id, s.label, s.ord, c.indicator_id, c.indicator_name,
               c.indicator_weight, c.atomic_id, c.atomic_name, c.metric_code, c.block, c.atomic_weight, c.position,
               c.rate, c.full_score, c.floor, c.cap, c.clamp_text, c.deduct, c.per_unit, c.deduct_text, mv.value,
               {measure} AS measure
        FROM asm_s s JOIN asm_c c ON c.template_id = s.template_id
        LEFT JOIN {value} mv ON mv.period = %(period)s AND mv.metric_id = c.metric_id
             AND mv.subject_type = s.subject_type AND mv.subject_id = s.subject_id
        {target_join}
    ), hit AS (
        SELECT base.*, iv.position AS iv_position,
               CASE WHEN base.rate AND base.measure IS NOT NULL THEN base.clamp_text
                    WHEN base.deduct AND base.value IS NOT NULL THEN base.deduct_text || trim_scale(base.value)::text
                    ELSE COALESCE(iv.text, '') END AS iv_text,
               CASE WHEN base.rate AND base.measure IS NOT NULL
                    THEN ROUND(LEAST(GREATEST(base.raw_rate, base.floor), base.cap), 2)
                    WHEN base.deduct AND base.value IS NOT NULL
                    THEN CASE WHEN base.raw_deduct < base.floor THEN base.floor
                              ELSE ROUND(LEAST(base.raw_deduct, base.full_score), 2) END
                    ELSE COALESCE(iv.score, 0) END AS score
        FROM (SELECT b.*, b.measure * b.full_score / 100 AS raw_rate, b.full_score - b.per_unit * b.value AS raw_deduct
              FROM base b) base
        LEFT JOIN asm_i iv ON iv.atomic_id = base.atomic_id AND iv.bounds @> base.measure
    ), scored AS MATERIALIZED (
        SELECT hit.*, hit.score * hit.atomic_weight AS contribution,
               CASE WHEN hit.value IS NULL THEN 'missing' WHEN hit.measure IS NULL THEN 'no_target'
                    WHEN hit.rate AND hit.raw_rate < hit.floor THEN 'floor'
                    WHEN hit.rate AND hit.raw_rate > hit.cap THEN 'cap'
                    WHEN hit.rate THEN 'ok'
                    WHEN hit.deduct AND hit.raw_deduct < hit.floor THEN 'minimum'
                    WHEN hit.deduct THEN 'deducted'
                    WHEN hit.iv_position IS NULL THEN 'out_of_domain' ELSE 'ok' END AS status
        FROM hit
    )"""
MEASURE_PLAIN = "mv.value"
MEASURE_ATTAIN = """CASE WHEN NOT c.attain THEN mv.value
                    WHEN mv.value IS NULL OR tv.value IS NULL OR tv.value = 0 THEN NULL
                    ELSE ROUND(mv.value * 100 / tv.value, 6) END"""
TARGET_JOIN = """LEFT JOIN {value} tv ON c.attain AND tv.period = %(period)s AND tv.metric_id = c.target_metric_id
             AND tv.subject_type = s.subject_type AND tv.subject_id = s.subject_id"""


def score_month(run: Any, config: dict, period: str, gone_templates: set[int]) -> SqlOutcome:
    """Write the month's results and details of ``config`` (the month's previous rows are already
    deleted); see the module."""
    t = _tables()
    out = SqlOutcome()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        attain = _temp_tables(cursor, config, gone_templates, t["result"])
        scored = SCORED_SQL.format(value=t["value"], measure=MEASURE_ATTAIN if attain else MEASURE_PLAIN,
                                   target_join=TARGET_JOIN.format(value=t["value"]) if attain else "")
        # The details, the per-result aggregate and the missing-data rows from the same scored rows.
        cursor.execute(f"""
            WITH {scored}, details AS (
                INSERT INTO {t['detail']} (result_id, indicator_id, indicator_name, indicator_weight, indicator_score,
                    atomic_id, atomic_name, metric_code, value, measure, interval_position, interval_text, score,
                    weight, contribution, status, position)
                SELECT rid, indicator_id, indicator_name, indicator_weight,
                       SUM(contribution) OVER (PARTITION BY rid, indicator_id), atomic_id, atomic_name,
                       metric_code, value, measure, iv_position, iv_text, score, atomic_weight, contribution, status,
                       position
                FROM scored
            ), missing AS (
                INSERT INTO asm_missing
                SELECT DISTINCT template_id, atomic_id, status, subject_id, label, ord FROM scored
                WHERE status IN ('missing', 'no_target')
            )
            INSERT INTO asm_agg
            SELECT rid, SUM(contribution * indicator_weight),
                   bool_or(block AND status IN ('missing', 'no_target', 'out_of_domain')),
                   SUM((COALESCE(value, 0) + COALESCE(measure, 0)) * (subject_id %% 9973 + atomic_id * 31 + position))
            FROM scored GROUP BY rid""", {"period": period})
        # The results: template score, status, bonus points, adjustments, total and ranks at once.
        cursor.execute(f"""
            WITH x AS (
                SELECT s.*, COALESCE(g.blocked, false) AS blocked, COALESCE(g.score, 0) AS tscore,
                       COALESCE(b.points, 0) AS bonus, COALESCE(a.delta, 0) AS adjustment,
                       NOT COALESCE(g.blocked, false) AND vt.total IS NOT NULL AS vetoed,
                       CASE WHEN g.blocked OR vt.total IS NULL THEN '' ELSE vt.text END AS veto_text,
                       CASE WHEN g.blocked THEN NULL WHEN vt.total IS NOT NULL THEN vt.total
                            ELSE COALESCE(g.score, 0) + COALESCE(b.points, 0) + COALESCE(a.delta, 0) END AS total
                FROM asm_s s LEFT JOIN asm_agg g ON g.rid = s.rid
                LEFT JOIN LATERAL (
                    SELECT v.total, LEFT(v.name || ' = ' || trim_scale(mv.value)::text || ' ≥ ' || v.threshold_text,
                                         200) AS text
                    FROM asm_v v JOIN {t['value']} mv ON mv.period = %(period)s AND mv.metric_id = v.metric_id
                         AND mv.subject_type = s.subject_type AND mv.subject_id = s.subject_id
                    WHERE v.template_id = s.template_id AND mv.value >= v.threshold
                    ORDER BY v.position LIMIT 1) vt ON true
                LEFT JOIN (SELECT subject_type, subject_id, SUM(points) AS points FROM {t['bonus']}
                           WHERE period = %(period)s GROUP BY subject_type, subject_id) b
                  ON b.subject_type = s.subject_type AND b.subject_id = s.subject_id
                LEFT JOIN (SELECT subject_type, subject_id, SUM(delta) AS delta FROM {t['adjustment']}
                           WHERE period = %(period)s GROUP BY subject_type, subject_id) a
                  ON a.subject_type = s.subject_type AND a.subject_id = s.subject_id
            )
            INSERT INTO {t['result']} (id, run_id, period, subject_type, subject_id, user_id, org_unit_id,
                subject_label, template_id, template_name, status, score, bonus, adjustment, total, rank, rank_in_unit,
                vetoed, veto_text)
            SELECT rid, %(run)s, %(period)s, subject_type, subject_id, user_id, org_unit_id, label, result_template_id,
                   template_name, CASE WHEN blocked THEN 'blocked' ELSE 'scored' END,
                   CASE WHEN blocked THEN NULL ELSE tscore END, bonus, adjustment, total,
                   CASE WHEN total IS NULL THEN NULL
                        ELSE RANK() OVER (PARTITION BY subject_type, total IS NULL ORDER BY total DESC) END,
                   CASE WHEN total IS NULL THEN NULL
                        ELSE RANK() OVER (PARTITION BY subject_type, org_unit_id, total IS NULL ORDER BY total DESC)
                   END, vetoed, veto_text
            FROM x ORDER BY ord""", {"period": period, "run": run.pk})
        out.result_count = cursor.cursor.rowcount
        cursor.execute("SELECT COUNT(*) FILTER (WHERE blocked), COALESCE(SUM(fingerprint), 0), COUNT(*) "
                       "FROM asm_agg")
        out.blocked, fingerprint, count = cursor.fetchone()
        # The fingerprint of the values used: a weighted checksum of every value and measure (it
        # changes when any value does; it is a change detector, not a cryptographic hash).
        out.values_digest = f"{count}:{fingerprint}"
        cursor.execute(f"""
            SELECT COUNT(*), COALESCE(SUM(mv.value * (s.subject_id %% 9973 + v.position * 37)), 0)
            FROM asm_s s JOIN asm_v v ON v.template_id = s.template_id
            JOIN {t['value']} mv ON mv.period = %(period)s AND mv.metric_id = v.metric_id
                 AND mv.subject_type = s.subject_type AND mv.subject_id = s.subject_id""", {"period": period})
        veto_count, veto_sum = cursor.fetchone()
        if veto_count:  # the values of veto items (一票否决), when there are any
            out.values_digest += f":{veto_count}:{veto_sum}"
        cursor.execute(f"""
            SELECT template_id, atomic_id, status, subject_id, label, n FROM (
                SELECT m.*, ROW_NUMBER() OVER w AS rn, COUNT(*) OVER (PARTITION BY template_id, atomic_id, status) AS n
                FROM asm_missing m WINDOW w AS (PARTITION BY template_id, atomic_id, status ORDER BY ord)
            ) x WHERE rn <= {REPORT_LIST_CAP} ORDER BY template_id, atomic_id, status, ord""")
        missing: dict[tuple[int, int, str], tuple[int, list[list]]] = defaultdict(lambda: (0, []))
        for tid, aid, status, sid, label, n in cursor.fetchall():
            _count, rows = missing[(tid, aid, status)]
            rows.append([sid, label])
            missing[(tid, aid, status)] = (n, rows)
        out.missing = dict(missing)
    return out
