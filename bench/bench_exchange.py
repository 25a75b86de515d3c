"""Excel import and export of users at scale (R-IMP-1), at province size.

Import: a users workbook (generated here, deterministically, with XlsxWriter ``constant_memory``;
every row valid: a new account in a county's 营销一室 with that county's supervisor as superior and
the role ``account_manager``, the initial password left empty so the import generates one) goes
through :func:`kam.exchange.engine.run_import` — the function the import page and the import job
call — as the province administrator: all rows validated, then written through the org services
in one transaction. Lower bound: the same file parsed with python-calamine and the same rows (users
and their role links) written with ``bulk_create`` in one transaction, without any validation.
The engine writes row by row through ``user_create`` (about 6 ms a row on SQLite), so it is
measured on ``KAM_BENCH_IMPORT_ROWS`` rows (default 20000) and extrapolated to
``KAM_BENCH_EXPORT_ROWS`` (default 100000); set both to 100000 for the full figure.

The engine's figure uses the password hasher of the test suite (MD5), so that it shows the
engine's own cost; the configured hasher (PBKDF2 with 1.5 million iterations, slow by design) is
measured on ``KAM_BENCH_HASHER_ROWS`` rows (default 5) and extrapolated. Where the engine's time
goes is measured with cProfile on ``KAM_BENCH_PROFILE_ROWS`` rows (default 1000).

Export: ``KAM_BENCH_EXPORT_ROWS`` users (the rows of the whole file, written by the lower bound)
through :func:`kam.exchange.engine.run_export` (the users spec's queryset in the administrator's
scope, streamed), against the lower bound of writing the same values from a plain ``values_list``
iterator with XlsxWriter ``constant_memory``.

Memory: the tracemalloc peak (Python allocations) of separate runs — imports of a tenth of the
rows, exports of the engine-imported rows and of a tenth of them (tracemalloc slows Python down,
so the timed runs go without it).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import translation

from bench.common import Context, Result, peak_memory

IMPORT_ROWS = int(os.environ.get("KAM_BENCH_IMPORT_ROWS", "20000"))
EXPORT_ROWS = max(IMPORT_ROWS, int(os.environ.get("KAM_BENCH_EXPORT_ROWS", "100000")))
HASHER_ROWS = int(os.environ.get("KAM_BENCH_HASHER_ROWS", "5"))
PROFILE_ROWS = int(os.environ.get("KAM_BENCH_PROFILE_ROWS", "1000"))
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
VAR = Path(__file__).resolve().parent.parent / "var"


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.0f} MB"


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s"


def _targets() -> list[tuple[str, str]]:
    """(section unit code, supervisor username) per county of the province demo."""
    from kam.org.models import OrgUnit, User

    supervisors = dict(
        User.objects.filter(roles__code="supervisor").order_by("username")
        .values_list("org_unit__code", "username")
    )
    out = []
    for code in OrgUnit.objects.filter(code__endswith="-S1").order_by("code").values_list("code", flat=True):
        boss = supervisors.get(code.removesuffix("-S1") + "-KA")
        if boss:
            out.append((code, boss))
    return out


def make_users_file(spec, prefix: str, n: int, targets: list[tuple[str, str]]) -> bytes:
    """A users workbook of ``n`` valid rows, the same for the same arguments."""
    import xlsxwriter

    with translation.override("zh-hans"):
        headers = [str(c.header) for c in spec.import_columns()]
    fields = [c.field for c in spec.import_columns()]
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet("用户")
    sheet.write_row(0, 0, headers)
    for i in range(n):
        unit, boss = targets[i % len(targets)]
        values = {
            "username": f"{prefix}{i:06d}", "name": f"基准用户{i:06d}", "org_unit": unit, "superior": boss,
            "roles": "account_manager", "phone": f"139{i:08d}", "is_active": "是", "password": "",
        }
        for c, name in enumerate(fields):
            value = values.get(name, "")
            if value:
                sheet.write_string(i + 1, c, value)
    book.close()
    return buf.getvalue()


def raw_import(data: bytes, prefix: str) -> int:
    """The lower bound: parse with python-calamine, ``bulk_create`` the users and role links."""
    from python_calamine import CalamineWorkbook

    from kam.org.models import OrgUnit, Role, User

    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    head = [str(h) for h in rows[0]]
    idx = {name: head.index(name) for name in head}
    with translation.override("zh-hans"):
        from kam.exchange.specs import get_spec

        col = {c.field: idx[str(c.header)] for c in get_spec("org.users").import_columns()}
    units = dict(OrgUnit.objects.values_list("code", "id"))
    bosses = {str(r[col["superior"]]) for r in rows[1:]}
    boss_ids = dict(User.objects.filter(username__in=bosses).values_list("username", "id"))
    role_ids = dict(Role.objects.values_list("code", "id"))
    users = [
        User(username=prefix + str(r[col["username"]]), name=str(r[col["name"]]), org_unit_id=units[r[col["org_unit"]]],
             superior_id=boss_ids[r[col["superior"]]], phone=str(r[col["phone"]]), is_active=True, password="!")
        for r in rows[1:]
    ]
    through = User.roles.through
    with transaction.atomic():
        User.objects.bulk_create(users, batch_size=2000)
        through.objects.bulk_create(
            [through(user_id=u.pk, role_id=role_ids[r[col["roles"]]]) for u, r in zip(users, rows[1:], strict=True)],
            batch_size=5000,
        )
    return len(users)


def engine_import(spec, admin, data: bytes, n: int):
    from kam.exchange.engine import run_import

    with translation.override("zh-hans"):
        result = run_import(spec, user=admin, data=data, mode="create", progress=lambda done, total: None)
    if not result.ok or result.created != n:
        first = result.errors[:3] or result.file_error
        raise RuntimeError(f"import failed: created {result.created} of {n}: {first}")
    return result


PROFILE_PARTS = (
    # (label, file suffix, function name)
    ("read", "exchange/engine.py", ("_read",)),
    ("validate", "exchange/engine.py", ("_validate",)),
    ("write", "exchange/engine.py", ("_apply",)),
    ("generate_password", "exchange/org_specs.py", ("generate_password",)),
    ("full_clean", "django/db/models/base.py", ("full_clean",)),
    ("set_password", "django/contrib/auth/base_user.py", ("set_password",)),
    ("save", "django/db/models/base.py", ("save",)),
    ("roles.set", "django/db/models/fields/related_descriptors.py", ("set",)),
    ("check_in_scope", "kam/core/querysets.py", ("check_in_scope",)),
    ("savepoints", "django/db/transaction.py", ("__enter__", "__exit__")),
    ("audit signals", "kam/audit/registry.py", ("_pre_save", "_post_save", "_m2m_changed")),
)


def profile_breakdown(spec, admin, data: bytes, n: int) -> str:
    """Where the time of an engine import goes: share of the cumulative time per part, SQL
    statements per row."""
    profiler = cProfile.Profile()
    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        profiler.enable()
        engine_import(spec, admin, data, n)
        profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in stats.values())
    sql = sum(v[3] for (file, _line, func), v in stats.items()
              if func == "_execute" and file.endswith("django/db/backends/utils.py"))
    parts = []
    for label, suffix, names in PROFILE_PARTS:
        ct = sum(v[3] for (file, _line, func), v in stats.items() if func in names and file.endswith(suffix))
        if ct:
            parts.append(f"{label} {ct / total:.0%}")
    per_row = statements[0] / n
    return (f"profile of {n:,} rows: " + ", ".join(parts)
            + f"; {per_row:.1f} SQL statements per row, time in SQL execution ≈ {sql / total:.0%}")


def raw_export(rows_qs, path: str) -> int:
    """The lower bound: the same columns from a plain ``values_list`` iterator."""
    import xlsxwriter

    from kam.org.models import User

    roles: dict[int, list[str]] = {}
    for uid, code in User.roles.through.objects.filter(user__in=rows_qs).values_list("user_id", "role__code"):
        roles.setdefault(uid, []).append(code)
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet("用户")
    sheet.write_row(0, 0, ["ID", "账号", "姓名", "组织单位编码", "上级账号", "角色编码", "电话", "启用"])
    count = 0
    for r, (pk, username, name, unit, boss, phone, active) in enumerate(
        rows_qs.order_by("username").values_list("pk", "username", "name", "org_unit__code",
                                                 "superior__username", "phone", "is_active")
        .iterator(chunk_size=2000), start=1,
    ):
        sheet.write_row(r, 0, [pk, username, name, unit, boss or "", "、".join(roles.get(pk, ())), phone,
                               "是" if active else "否"])
        count += 1
    book.close()
    return count


def cleanup(prefixes: tuple[str, ...]) -> None:
    """Remove the benchmark's users and the rows pointing at them (role links), so that the
    benchmarks after this one see the province demo as it was. Raw SQL: the ORM's delete would
    load every user and write an audit entry for each."""
    from kam.org.models import User

    table = User._meta.db_table
    where = " OR ".join(["username LIKE %s"] * len(prefixes))
    params = [p + "%" for p in prefixes]
    ids = f"SELECT id FROM {table} WHERE {where}"
    targets = []
    for f in User._meta.many_to_many:
        through = f.remote_field.through
        targets.append((through._meta.db_table, through._meta.get_field(f.m2m_field_name()).column))
    for rel in User._meta.related_objects:
        if rel.many_to_many:
            through = rel.through
            targets.append((through._meta.db_table, through._meta.get_field(rel.field.m2m_reverse_field_name()).column))
        elif rel.related_model is not User:
            targets.append((rel.related_model._meta.db_table, rel.field.column))
    existing = set(connection.introspection.table_names())
    with transaction.atomic(), connection.cursor() as cur:
        for ref_table, column in targets:
            if ref_table not in existing:
                continue
            cur.execute(f"DELETE FROM {ref_table} WHERE {column} IN ({ids})", params)
        cur.execute(f"DELETE FROM {table} WHERE {where}", params)


def run(ctx: Context) -> list[Result]:
    try:
        return _run(ctx)
    finally:
        cleanup(("bx", "bm", "bp", "bh", "raw-", "exp-"))


def _run(ctx: Context) -> list[Result]:
    from kam.exchange.engine import run_export
    from kam.exchange.specs import get_spec
    from kam.org.models import User

    ctx.ensure_province()
    spec = get_spec("org.users")
    admin = User.objects.get(username="admin")
    targets = _targets()
    results: list[Result] = []
    n, n_export = IMPORT_ROWS, EXPORT_ROWS

    t = time.perf_counter()
    data = make_users_file(spec, "bx", n, targets)
    t_file = time.perf_counter() - t

    t = time.perf_counter()
    raw_import(data, "raw-")
    t_raw = time.perf_counter() - t
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        t = time.perf_counter()
        engine_import(spec, admin, data, n)
        t_engine = time.perf_counter() - t
    # Memory in separate runs of a tenth of the rows (tracemalloc slows Python down): the engine
    # holds every row of the file until the commit, so its peak grows with the rows.
    n_tenth = max(1, n // 10)
    mem_data = make_users_file(spec, "bm", n_tenth, targets)
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        _t, mem_engine = peak_memory(lambda: engine_import(spec, admin, mem_data, n_tenth))
    _t, mem_raw = peak_memory(lambda: raw_import(mem_data, "raw-"))
    extrapolated = ""
    if n < n_export:
        extrapolated = f"; {n_export:,} rows ≈ {t_engine * n_export / n / 60:.0f} min at this rate"
    results.append(Result(
        f"import users, {n:,} rows (engine, MD5 hasher)", f"{_rate(n, t_engine)} ({t_engine:.0f} s)",
        f"{_rate(n, t_raw)} ({t_raw:.1f} s)", t_engine / t_raw,
        f"tracemalloc peak {_mb(mem_engine)} for {n_tenth:,} rows (bound {_mb(mem_raw)}), "
        f"≈ {mem_engine / n_tenth / 1024:.1f} KB a row; file {len(data) / 2**20:.1f} MB, "
        f"generated in {t_file:.1f} s{extrapolated}",
    ))

    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        profile_data = make_users_file(spec, "bp", PROFILE_ROWS, targets)
        breakdown = profile_breakdown(spec, admin, profile_data, PROFILE_ROWS)
    results.append(Result(f"import users, where the time goes ({PROFILE_ROWS:,} rows)", "", notes=breakdown))

    hasher_data = make_users_file(spec, "bh", HASHER_ROWS, targets)
    t = time.perf_counter()
    engine_import(spec, admin, hasher_data, HASHER_ROWS)
    t_hash = (time.perf_counter() - t) / HASHER_ROWS
    results.append(Result(
        f"import users, configured hasher ({HASHER_ROWS} rows)", f"{1 / t_hash:,.2f} rows/s ({t_hash:.2f} s/row)",
        f"{_rate(n, t_raw)}", t_hash / (t_raw / n),
        f"one PBKDF2 hash per new login dominates: {n_export:,} rows ≈ {t_hash * n_export / 3600:.1f} h on one core",
    ))

    # Export: the rows of the whole file, written by the lower bound (same values, with roles).
    big = data if n_export == n else make_users_file(spec, "bx", n_export, targets)
    t = time.perf_counter()
    raw_import(big, "exp-")
    t_raw_big = time.perf_counter() - t
    del big
    if n_export != n:
        results.append(Result(f"import users, {n_export:,} rows (lower bound only)", "",
                              f"{_rate(n_export, t_raw_big)} ({t_raw_big:.1f} s)",
                              notes="the rows the export below writes"))
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="kam-bench-", dir=VAR if VAR.is_dir() else None)
    os.close(fd)
    try:
        with translation.override("zh-hans"):
            qs = spec.get_queryset(admin).filter(username__startswith="exp-").order_by(*spec.ordering)
            t = time.perf_counter()
            written = run_export(spec, qs, path)
            t_export = time.perf_counter() - t
            size = os.path.getsize(path)
            t = time.perf_counter()
            raw_written = raw_export(User.objects.filter(username__startswith="exp-"), path)
            t_raw_export = time.perf_counter() - t
            # Memory, in separate runs (tracemalloc slows Python down), on the engine-imported rows.
            small = spec.get_queryset(admin).filter(username__startswith="bx").order_by(*spec.ordering)
            _t, mem_export = peak_memory(lambda: run_export(spec, small, path))
            n_tenth = max(1, n // 10)
            _t, mem_export_tenth = peak_memory(lambda: run_export(spec, small[:n_tenth], path))
            _t, mem_raw_export = peak_memory(lambda: raw_export(User.objects.filter(username__startswith="bx"), path))
    finally:
        os.unlink(path)
    if written != n_export or raw_written != n_export:
        raise RuntimeError(f"export wrote {written} / {raw_written} rows of {n_export}")
    results.append(Result(
        f"export users, {n_export:,} rows (engine, streamed)", f"{_rate(n_export, t_export)} ({t_export:.1f} s)",
        f"{_rate(n_export, t_raw_export)} ({t_raw_export:.1f} s)", t_export / t_raw_export,
        f"tracemalloc peak {_mb(mem_export)} (bound {_mb(mem_raw_export)}) exporting {n:,} rows, "
        f"{_mb(mem_export_tenth)} exporting {n_tenth:,}; "
        f"file {size / 2**20:.1f} MB",
    ))
    return results
