#!/usr/bin/env python
"""Runs the benchmarks in bench/ and writes docs/benchmarks.md.

    .venv/bin/python bench/run.py [--db sqlite|postgres|both] [--only NAME]

Each ``bench/bench_*.py`` defines ``run(ctx) -> list[Result]``. Figures are measured in one run
and reported as ratios to a lower bound measured in the same run (e.g. the raw SQL of the same
page), never as absolute pass/fail thresholds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    sections = []
    for db in dbs:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", db, args.only]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
        sys.stderr.write(out.stderr)
        sections.append(out.stdout)
    header = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` (`.venv/bin/python bench/run.py --db {args.db}`) on "
        f"{dt.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Ratios compare our code path with a lower bound measured in the "
        "same run (the raw SQL of the same page, or a plain parse + bulk insert).",
        "",
    ]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(header + sections) + "\n", encoding="utf-8")
    print("\n".join(header + sections))


def child(db: str, only: str) -> None:
    os.environ["KAM_DB"] = db
    if db == "sqlite":
        os.environ["KAM_SQLITE_PATH"] = str(ROOT / "var" / "bench.sqlite3")
        Path(os.environ["KAM_SQLITE_PATH"]).unlink(missing_ok=True)
    else:
        os.environ["KAM_PG_NAME"] = "kam_bench"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    if db == "postgres":
        import psycopg

        with psycopg.connect("host=127.0.0.1 user=kam password=kam dbname=postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS kam_bench")
            conn.execute("CREATE DATABASE kam_bench OWNER kam")
    django.setup()
    from django.core.management import call_command

    from bench.common import Context

    call_command("migrate", verbosity=0)
    ctx = Context(db=db)
    lines = [f"## {db}", "", "| benchmark | figure | lower bound | ratio | notes |", "|---|---|---|---|---|"]
    for path in sorted((ROOT / "bench").glob("bench_*.py")):
        if only and only not in path.stem:
            continue
        module = importlib.import_module(f"bench.{path.stem}")
        for r in module.run(ctx):
            lines.append(r.row())
            sys.stderr.write(r.row() + "\n")
    print("\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
    else:
        main()
