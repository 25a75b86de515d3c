"""Scoring a month inside SQLite: the kernel's arithmetic as set-based SQL on scaled integers.

The embedded database has no exact decimal type: a decimal column holds a binary float. Scores
would drift if the arithmetic ran on those floats, so every number is turned into an integer
of a fixed scale first and all comparisons and sums are integer arithmetic, which SQLite does
exactly (64 bits):

============================  ==========  =====================================================
quantity                      scale       why it is exact
============================  ==========  =====================================================
metric value ``vi``           10⁴         values have at most 4 decimals; ``ROUND(value × 10⁴)``
                                          recovers the decimal from its float for |value| < 10¹¹
measure / interval bounds     10⁶         the completion rate has 6 decimals; bounds have 2
score, weight                 10²         at most 2 decimals (R-ASM-1, R-ASM-2)
contribution, indicator       10⁴         score × weight
template score, total         10⁶         Σ contribution × indicator weight
============================  ==========  =====================================================

Results are written back as ``integer ÷ 10ᵏ``, the nearest float of the exact decimal — the same
float the kernel engine's decimal text becomes in the column — and ranks compare the integers.
Rules that are more than a comparison — the completion rate (value ÷ target, 6 decimals half-up),
floor and cap (保底/封顶), deductions (扣分) and the value texts — are computed by the pure
kernel's own functions, registered as SQL functions on the connection (one place for each rule);
plain interval scoring, the common case, never leaves SQL.

The statements mirror :mod:`kam.assessment.sqlscoring` (PostgreSQL): the configuration is copied
into temporary tables; one ``INSERT … SELECT`` writes every score detail (the indicator score as a
window sum); one aggregate over the new details gives each result's template score, "held" flag,
missing-value count and the fingerprint of the values; one ``INSERT … SELECT`` writes the results
with bonus points, adjustments, veto items and both ranks. A month outside the exact range
(|value| ≥ 10¹¹, a bound or threshold ≥ 10¹², a completion rate beyond 64 bits) raises
:class:`Unfit` before anything is kept, and the run falls back to the kernel engine.
``tests/assessment/test_sql_scoring.py`` and ``test_veto.py`` compare the two engines row by row.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection

from . import kernel
from .sqlscoring import REPORT_LIST_CAP, SqlOutcome, _tables, components

VALUE_LIMIT = Decimal(10) ** 11  # |value| below this: value × 10⁴ is an exact integer in a float
BOUND_LIMIT = Decimal(10) ** 12  # |bound| below this: bound × 10⁶ fits 64 bits
INT64 = 2 ** 63
FINGERPRINT_MOD = 2_147_483_629  # a prime below 2³¹: the fingerprint's terms stay within 64 bits

# Status codes packed with a score by the registered functions (score × 4 + code).
_ST_CODES = {kernel.ST_OK: 0, kernel.ST_FLOOR: 1, kernel.ST_CAP: 2, kernel.ST_MINIMUM: 1, kernel.ST_DEDUCTED: 0}


class Unfit(Exception):
    """The month holds a number outside the range the integer arithmetic is exact for."""


def _scaled(value: Any, places: int) -> int | None:
    if value is None or value == "":
        return None
    d = Decimal(str(value))
    if abs(d) >= BOUND_LIMIT:
        raise Unfit(str(d))
    return int(d.scaleb(places))


def _check_range(biggest: Any) -> None:
    if biggest is not None and Decimal(str(biggest)) >= VALUE_LIMIT:
        raise Unfit(str(biggest))


def _register(config: dict, flags: dict[str, bool]) -> None:
    """The kernel's rules as SQL functions of this connection (integers in, integers out)."""
    atomics = {int(aid): a for aid, a in config["atomics"].items()}
    specs: dict[int, tuple[Decimal, ...]] = {}
    for aid, a in atomics.items():
        if a["mode"] in (kernel.MODE_RATE, kernel.MODE_DEDUCTION):
            specs[aid] = (Decimal(a["full_score"]), Decimal(a.get("floor") or 0), Decimal(a.get("cap") or 0),
                          Decimal(a.get("per_unit") or 0))

    def unfit() -> None:
        flags["unfit"] = True
        raise OverflowError("outside the exact range")

    def attain(vi: int | None, ti: int | None) -> int | None:
        if vi is None or ti is None:
            return None
        if abs(vi) >= 10 ** 15 or abs(ti) >= 10 ** 15:
            unfit()
        rate = kernel.attainment(Decimal(vi).scaleb(-4), Decimal(ti).scaleb(-4))
        if rate is None:
            return None
        m6 = int(rate.scaleb(6))
        if abs(m6) >= INT64:
            unfit()
        return m6

    def rate(m6: int, aid: int) -> int:
        full, floor, cap, _per = specs[aid]
        score, status = kernel.rate_score(Decimal(m6).scaleb(-6), full, floor, cap)
        return int(score.scaleb(2)) * 4 + _ST_CODES[status]

    def deduct(vi: int, aid: int) -> int:
        full, floor, _cap, per = specs[aid]
        score, status = kernel.deduction_score(Decimal(vi).scaleb(-4), full, per, floor)
        return int(score.scaleb(2)) * 4 + _ST_CODES[status]

    def fmt4(vi: int) -> str:
        return kernel.fmt(Decimal(vi).scaleb(-4))

    raw = connection.connection
    raw.create_function("kam_attain", 2, attain, deterministic=True)
    raw.create_function("kam_rate", 2, rate, deterministic=True)
    raw.create_function("kam_deduct", 2, deduct, deterministic=True)
    raw.create_function("kam_fmt4", 1, fmt4, deterministic=True)


def _temp_tables(cursor, config: dict, gone_templates: set[int], first_id: int) -> bool:
    """Copy the configuration into temporary tables; result ids follow ``first_id`` in subject
    order. Returns whether any atomic indicator divides by a target."""
    for name in ("asm_s", "asm_c", "asm_i", "asm_v", "asm_vh", "asm_agg"):
        cursor.execute(f"DROP TABLE IF EXISTS temp.{name}")
    cursor.execute("CREATE TEMP TABLE asm_s (rid integer PRIMARY KEY, ord integer, subject_type text, "
                   "subject_id integer, user_id integer, org_unit_id integer, label text, template_id integer, "
                   "result_template_id integer, template_name text)")
    cursor.execute("CREATE TEMP TABLE asm_c (template_id integer, indicator_id integer, indicator_name text, "
                   "iw integer, atomic_id integer, atomic_name text, metric_id integer, target_metric_id integer, "
                   "metric_code text, attain integer, block integer, aw integer, position integer, rate integer, "
                   "clamp_text text, deduct integer, deduct_text text)")
    cursor.execute("CREATE INDEX temp.asm_c_position ON asm_c (template_id, position)")
    cursor.execute("CREATE TEMP TABLE asm_i (atomic_id integer, position integer, lo integer, lo_closed integer, "
                   "hi integer, hi_closed integer, score integer, text text)")
    cursor.execute("CREATE INDEX temp.asm_i_atomic ON asm_i (atomic_id)")
    cursor.execute("CREATE TEMP TABLE asm_v (template_id integer, position integer, metric_id integer, "
                   "threshold integer, total integer, name text, threshold_text text)")
    subjects = config["subjects"]
    cursor.executemany(
        "INSERT INTO asm_s VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [(first_id + ord_, ord_, s[0], s[1], s[2], s[3], s[4][:100], int(s[5]),
          None if int(s[5]) in gone_templates else int(s[5]), config["templates"][str(s[5])]["name"])
         for ord_, s in enumerate(subjects)])
    attain = False
    rows = []
    for c in components(config):
        a = c.atomic
        attain |= c.attain
        rows.append((c.template_id, c.indicator_id, c.indicator_name, _scaled(c.indicator_weight, 2), c.atomic_id,
                     a["name"], a["metric_id"], a["target_metric_id"], a["metric"], c.attain, c.block,
                     _scaled(c.atomic_weight, 2), c.position, c.rate, c.clamp_text, c.deduct, c.deduct_text))
    cursor.executemany("INSERT INTO asm_c VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                       "%s)", rows)
    rows = []
    for aid, a in config["atomics"].items():
        for pos, (lo, lc, hi, hc, sc) in enumerate(a["intervals"], 1):
            iv = kernel.make_interval(lo, lc, hi, hc, sc)
            rows.append((int(aid), pos, _scaled(iv.lower, 6), iv.lower_closed, _scaled(iv.upper, 6), iv.upper_closed,
                         _scaled(iv.score, 2), iv.text()))
    cursor.executemany("INSERT INTO asm_i VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
    rows = []
    for tid, t in config["templates"].items():
        for pos, (aid, threshold, total) in enumerate(t.get("vetoes", ()), 1):
            a = config["atomics"][str(aid)]
            rows.append((int(tid), pos, a["metric_id"], _scaled(threshold, 4), _scaled(total, 2), a["name"],
                         kernel.fmt(Decimal(threshold))))
    cursor.executemany("INSERT INTO asm_v VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
    return attain


VI = "CAST(ROUND(mv.value * 10000) AS INTEGER)"

# Every subject × weighted atomic indicator, its value (and completion rate), the interval hit or
# the kernel's floor-and-cap / deduction score, written as score details.
DETAILS_SQL = """
WITH base AS (
    SELECT s.rid, c.*, mv.value, {vi} AS vi, {measure} AS m6
    FROM asm_s s JOIN asm_c c ON c.template_id = s.template_id
    LEFT JOIN {value} mv ON mv.period = %(period)s AND mv.metric_id = c.metric_id
         AND mv.subject_type = s.subject_type AND mv.subject_id = s.subject_id
    {target_join}
), packed AS (
    SELECT base.*, CASE WHEN base.m6 IS NULL THEN NULL
                        WHEN base.rate THEN kam_rate(base.m6, base.atomic_id)
                        WHEN base.deduct THEN kam_deduct(base.vi, base.atomic_id) END AS packed
    FROM base
), hit AS (
    SELECT p.*, iv.position AS iv_position,
           CASE WHEN p.packed IS NOT NULL THEN p.packed / 4 ELSE COALESCE(iv.score, 0) END AS s100,
           CASE WHEN p.value IS NULL THEN 'missing' WHEN p.m6 IS NULL THEN 'no_target'
                WHEN p.rate THEN CASE p.packed %% 4 WHEN 1 THEN 'floor' WHEN 2 THEN 'cap' ELSE 'ok' END
                WHEN p.deduct THEN CASE p.packed %% 4 WHEN 1 THEN 'minimum' ELSE 'deducted' END
                WHEN iv.position IS NULL THEN 'out_of_domain' ELSE 'ok' END AS status,
           CASE WHEN p.rate AND p.m6 IS NOT NULL THEN p.clamp_text
                WHEN p.deduct AND p.m6 IS NOT NULL THEN p.deduct_text || kam_fmt4(p.vi)
                ELSE COALESCE(iv.text, '') END AS iv_text
    FROM packed p
    LEFT JOIN asm_i iv ON NOT p.rate AND NOT p.deduct AND iv.atomic_id = p.atomic_id
         AND (iv.lo IS NULL OR p.m6 > iv.lo OR (p.m6 = iv.lo AND iv.lo_closed))
         AND (iv.hi IS NULL OR p.m6 < iv.hi OR (p.m6 = iv.hi AND iv.hi_closed))
)
INSERT INTO {detail} (result_id, indicator_id, indicator_name, indicator_weight, indicator_score, atomic_id,
    atomic_name, metric_code, value, measure, interval_position, interval_text, score, weight, contribution, status,
    position)
SELECT rid, indicator_id, indicator_name, iw / 100.0,
       SUM(s100 * aw) OVER (PARTITION BY rid, indicator_id) / 10000.0, atomic_id, atomic_name, metric_code, value,
       {measure_out}, iv_position, iv_text, s100 / 100.0, aw / 100.0, s100 * aw / 10000.0, status, position
FROM hit"""
MEASURE_PLAIN = f"{VI} * 100"
MEASURE_ATTAIN = f"""CASE WHEN NOT c.attain THEN {VI} * 100
                     ELSE kam_attain({VI}, CAST(ROUND(tv.value * 10000) AS INTEGER)) END"""
TARGET_JOIN = """LEFT JOIN {value} tv ON c.attain AND tv.period = %(period)s AND tv.metric_id = c.target_metric_id
         AND tv.subject_type = s.subject_type AND tv.subject_id = s.subject_id"""


def _first_result_id(cursor, result_table: str) -> int:
    cursor.execute(f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
                   f"COALESCE((SELECT MAX(id) FROM {result_table}), 0))", [result_table.strip('"')])
    return int(cursor.fetchone()[0]) + 1


def score_month(run: Any, config: dict, period: str, gone_templates: set[int]) -> SqlOutcome:
    """Write the month's results and details of ``config`` (the month's previous rows are already
    deleted); raises :class:`Unfit` (nothing kept by the caller) outside the exact range."""
    t = _tables()
    out = SqlOutcome()
    flags = {"unfit": False}
    n = len(config["subjects"])
    with connection.cursor() as cursor:
        _register(config, flags)
        first_id = _first_result_id(cursor, t["result"])
        attain = _temp_tables(cursor, config, gone_templates, first_id)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t['detail']}")
        detail_before = cursor.fetchone()[0]
        measure = MEASURE_ATTAIN if attain else MEASURE_PLAIN
        sql = DETAILS_SQL.format(
            vi=VI, value=t["value"], detail=t["detail"], measure=measure,
            target_join=TARGET_JOIN.format(value=t["value"]) if attain else "",
            measure_out="CASE WHEN m6 IS NULL THEN NULL WHEN attain THEN m6 / 1000000.0 ELSE value END")
        try:
            cursor.execute(sql, {"period": period})
        except Exception:
            if flags["unfit"]:
                raise Unfit("completion rate") from None
            raise
        # Per result: template score (scale 10⁶), held, missing count, fingerprint of the values.
        # (the atomic indicators that hold a result; a subject's place in the run is rid − first id)
        block = ", ".join(str(int(aid)) for aid, a in config["atomics"].items()
                          if a["missing"] == kernel.MISSING_BLOCK) or "NULL"
        cursor.execute(f"""
            CREATE TEMP TABLE asm_agg AS
            SELECT d.result_id AS rid,
                   SUM(CAST(ROUND(d.contribution * 10000) AS INTEGER) * CAST(ROUND(d.indicator_weight * 100)
                       AS INTEGER)) AS score,
                   MAX(d.status IN ('missing', 'no_target', 'out_of_domain') AND d.atomic_id IN ({block})) AS blocked,
                   SUM(d.status IN ('missing', 'no_target')) AS lacking,
                   SUM(((COALESCE(CAST(ROUND(d.value * 10000) AS INTEGER), 0) * 100
                         + COALESCE(CAST(ROUND(d.measure * 1000000) AS INTEGER), 0)) %% {FINGERPRINT_MOD})
                       * (((d.result_id - %s) %% 9973 + d.atomic_id * 31 + d.position) %% {FINGERPRINT_MOD})
                       %% {FINGERPRINT_MOD}) AS fingerprint,
                   MAX(ABS(d.value)) AS biggest
            FROM {t['detail']} d WHERE d.id > %s GROUP BY d.result_id""", [first_id, detail_before])
        # Values (and veto items' values) within the exact range, else nothing of this is kept.
        cursor.execute("SELECT MAX(biggest) FROM asm_agg")
        _check_range(cursor.fetchone()[0])
        has_vetoes = any(tpl.get("vetoes") for tpl in config["templates"].values())
        veto_join, veto_cols = "", "NULL AS vt_total, '' AS vt_text"
        veto_digest = ""
        if has_vetoes:
            cursor.execute(f"""
                SELECT COUNT(*), COALESCE(SUM(({VI} %% {FINGERPRINT_MOD}) * (s.subject_id %% 9973 + v.position * 37)
                                              %% {FINGERPRINT_MOD}), 0), MAX(ABS(mv.value))
                FROM asm_s s JOIN asm_v v ON v.template_id = s.template_id
                JOIN {t['value']} mv ON mv.period = %s AND mv.metric_id = v.metric_id
                     AND mv.subject_type = s.subject_type AND mv.subject_id = s.subject_id""", [period])
            veto_count, veto_sum, biggest = cursor.fetchone()
            _check_range(biggest)
            if veto_count:
                veto_digest = f":{veto_count}:{veto_sum}"
            # The first veto rule as listed whose value reaches its threshold.
            cursor.execute(f"""
                CREATE TEMP TABLE asm_vh AS
                SELECT rid, total, text FROM (
                    SELECT s.rid, v.total, SUBSTR(v.name || ' = ' || kam_fmt4({VI}) || ' ≥ ' || v.threshold_text,
                                                  1, 200) AS text,
                           ROW_NUMBER() OVER (PARTITION BY s.rid ORDER BY v.position) AS k
                    FROM asm_s s JOIN asm_v v ON v.template_id = s.template_id
                    JOIN {t['value']} mv ON mv.period = %s AND mv.metric_id = v.metric_id
                         AND mv.subject_type = s.subject_type AND mv.subject_id = s.subject_id
                    WHERE {VI} >= v.threshold) WHERE k = 1""", [period])
            veto_join = "LEFT JOIN asm_vh vt ON vt.rid = s.rid"
            veto_cols = "vt.total AS vt_total, COALESCE(vt.text, '') AS vt_text"
        cursor.execute(f"""
            WITH x AS (
                SELECT s.*, COALESCE(g.blocked, 0) AS blocked, COALESCE(g.score, 0) AS t6,
                       COALESCE(b.points, 0) AS b100, COALESCE(a.delta, 0) AS a100, {veto_cols}
                FROM asm_s s LEFT JOIN asm_agg g ON g.rid = s.rid {veto_join}
                LEFT JOIN (SELECT subject_type, subject_id, SUM(CAST(ROUND(points * 100) AS INTEGER)) AS points
                           FROM {t['bonus']} WHERE period = %(period)s GROUP BY subject_type, subject_id) b
                  ON b.subject_type = s.subject_type AND b.subject_id = s.subject_id
                LEFT JOIN (SELECT subject_type, subject_id, SUM(CAST(ROUND(delta * 100) AS INTEGER)) AS delta
                           FROM {t['adjustment']} WHERE period = %(period)s GROUP BY subject_type, subject_id) a
                  ON a.subject_type = s.subject_type AND a.subject_id = s.subject_id
            ), y AS (
                SELECT x.*, NOT x.blocked AND x.vt_total IS NOT NULL AS vetoed,
                       CASE WHEN x.blocked THEN NULL WHEN x.vt_total IS NOT NULL THEN x.vt_total * 10000
                            ELSE x.t6 + (x.b100 + x.a100) * 10000 END AS total6
                FROM x
            )
            INSERT INTO {t['result']} (id, run_id, period, subject_type, subject_id, user_id, org_unit_id,
                subject_label, template_id, template_name, status, score, bonus, adjustment, total, rank, rank_in_unit,
                vetoed, veto_text)
            SELECT rid, %(run)s, %(period)s, subject_type, subject_id, user_id, org_unit_id, label,
                   result_template_id, template_name, CASE WHEN blocked THEN 'blocked' ELSE 'scored' END,
                   CASE WHEN blocked THEN NULL ELSE t6 / 1000000.0 END, b100 / 100.0, a100 / 100.0,
                   total6 / 1000000.0,
                   CASE WHEN total6 IS NULL THEN NULL
                        ELSE RANK() OVER (PARTITION BY subject_type, total6 IS NULL ORDER BY total6 DESC) END,
                   CASE WHEN total6 IS NULL THEN NULL
                        ELSE RANK() OVER (PARTITION BY subject_type, org_unit_id, total6 IS NULL ORDER BY total6 DESC)
                   END, vetoed, CASE WHEN vetoed THEN vt_text ELSE '' END
            FROM y ORDER BY ord""", {"period": period, "run": run.pk})
        out.result_count = n
        cursor.execute("SELECT COALESCE(SUM(blocked), 0), COALESCE(SUM(fingerprint), 0), COUNT(*), "
                       "COALESCE(SUM(lacking), 0) FROM asm_agg")
        out.blocked, fingerprint, count, lacking = cursor.fetchone()
        out.values_digest = f"{count}:{fingerprint}{veto_digest}"
        missing: dict[tuple[int, int, str], tuple[int, list[list]]] = defaultdict(lambda: (0, []))
        if lacking:
            cursor.execute(f"""
                SELECT template_id, atomic_id, status, subject_id, label, n FROM (
                    SELECT m.*, ROW_NUMBER() OVER w AS rn,
                           COUNT(*) OVER (PARTITION BY template_id, atomic_id, status) AS n
                    FROM (SELECT DISTINCT s.template_id, d.atomic_id, d.status, s.subject_id, s.label, s.ord
                          FROM asm_agg g JOIN {t['detail']} d ON d.result_id = g.rid
                          JOIN asm_s s ON s.rid = g.rid
                          WHERE g.lacking > 0 AND d.status IN ('missing', 'no_target')) m
                    WINDOW w AS (PARTITION BY template_id, atomic_id, status ORDER BY ord)
                ) WHERE rn <= {REPORT_LIST_CAP} ORDER BY template_id, atomic_id, status, ord""")
            for tid, aid, status, sid, label, count_ in cursor.fetchall():
                _count, rows = missing[(tid, aid, status)]
                rows.append([sid, label])
                missing[(tid, aid, status)] = (count_, rows)
        out.missing = dict(missing)
        for name in ("asm_s", "asm_c", "asm_i", "asm_v", "asm_vh", "asm_agg"):
            cursor.execute(f"DROP TABLE IF EXISTS temp.{name}")
    return out
