#!/usr/bin/env python
"""Runs the benchmarks in bench/ and writes docs/benchmarks.md.

    .venv/bin/python bench/run.py [--db sqlite|postgres|both] [--only NAME] [--render]

Each ``bench/bench_*.py`` defines ``run(ctx) -> list[Result]``. Figures are measured in one run
and reported as ratios to a lower bound measured in the same run (e.g. the raw SQL of the same
page), never as absolute pass/fail thresholds. ``docs/benchmarks-notes.md`` (written by hand: what
the figures say) is appended to the generated ``docs/benchmarks.md``; ``--render`` rewrites
``docs/benchmarks.md`` from the last run's figures (``var/benchmarks-last-run.md``) and the notes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
SECTION_START = "<<<benchmarks-section>>>\n"
SECTION_END = "<<<end-of-section>>>"
LAST_RUN = ROOT / "var" / "benchmarks-last-run.md"  # the figures of the last run, for --render


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--only", default="")
    parser.add_argument("--render", action="store_true",
                        help="rewrite docs/benchmarks.md from the last run's figures and the notes, without measuring")
    args = parser.parse_args()
    if args.render:
        text = LAST_RUN.read_text(encoding="utf-8") if LAST_RUN.exists() else ""
        write_report(text)
        return
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    sections = []
    for db in dbs:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", db, args.only]
        # The child's progress goes to stderr as it runs; its section of the report comes between
        # the markers on stdout (anything else a benchmark prints there is passed on to stderr).
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        before, _sep, rest = out.stdout.partition(SECTION_START)
        section, _sep, after = rest.partition(SECTION_END)
        sys.stderr.write(before + after)
        sections.append(section.strip("\n") + "\n")
    header = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` (`.venv/bin/python bench/run.py --db {args.db}"
        f"{f' --only {args.only}' if args.only else ''}`) on "
        f"{dt.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Ratios compare our code path with a lower bound measured in the "
        "same run (the raw SQL of the same page, or a plain parse + bulk insert).",
        "",
    ]
    sizes = {k: v for k, v in sorted(os.environ.items()) if k.startswith("KAM_BENCH_")}
    if sizes:
        header[2] += " Sizes set for this run: " + ", ".join(f"`{k}={v}`" for k, v in sizes.items()) + "."
    text = "\n".join(header + sections)
    LAST_RUN.parent.mkdir(exist_ok=True)
    LAST_RUN.write_text(text, encoding="utf-8")
    write_report(text)


def write_report(figures: str) -> None:
    """docs/benchmarks.md = the figures of the run + the hand-written notes."""
    notes_file = ROOT / "docs" / "benchmarks-notes.md"
    notes = notes_file.read_text(encoding="utf-8").strip("\n") + "\n" if notes_file.exists() else ""
    text = figures.rstrip("\n") + "\n\n" + notes if notes else figures
    (ROOT / "docs" / "benchmarks.md").write_text(text, encoding="utf-8")
    print(text)


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

    from bench.common import Context, Result

    call_command("migrate", verbosity=0)
    ctx = Context(db=db)
    lines = [f"## {db}", "", "| benchmark | figure | lower bound | ratio | notes |", "|---|---|---|---|---|"]
    for path in sorted((ROOT / "bench").glob("bench_*.py")):
        if only and only not in path.stem:
            continue
        started = time.perf_counter()
        sys.stderr.write(f"[{db}] {path.stem} …\n")
        # Benchmarks and the demo loader may print progress: keep stdout for the report section.
        with contextlib.redirect_stdout(sys.stderr):
            try:
                module = importlib.import_module(f"bench.{path.stem}")
                for r in module.run(ctx):
                    lines.append(r.row())
                    sys.stderr.write(r.row() + "\n")
            except Exception as exc:  # one broken benchmark must not lose the others' figures
                traceback.print_exc()
                lines.append(Result(path.stem, "failed", notes=f"{type(exc).__name__}: {exc}"[:200]).row())
        sys.stderr.write(f"[{db}] {path.stem} done in {time.perf_counter() - started:.0f} s\n")
    print(SECTION_START + "\n".join(lines) + "\n" + SECTION_END)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
    else:
        main()
